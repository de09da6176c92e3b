"""The durable inbox (pure): stored before confirmed, duplicates recognised, done rows
forget their text and are pruned, and everything survives a reopen (a restart)."""

from __future__ import annotations

from bot.inbox import KEEP_DONE_SECONDS, Inbox


def update(uid: int, text: str = "连云港有多少个爱国主义教育基地?") -> dict:
    return {"update_id": uid, "message": {"message_id": uid, "text": text}}


def test_new_and_repeated_updates(tmp_path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite3")
    assert inbox.accept([(1, update(1)), (2, update(2))]) == [True, True]
    assert inbox.accept([(2, update(2)), (3, update(3))]) == [False, True]
    inbox.done(1)
    assert inbox.accept([(1, update(1))]) == [False]  # answered already: not again
    assert [uid for uid, _ in inbox.pending()] == [2, 3]
    assert inbox.accept([]) == []


def test_pending_updates_survive_a_restart_and_done_ones_forget_their_text(tmp_path) -> None:
    path = tmp_path / "inbox.sqlite3"
    inbox = Inbox(path)
    inbox.accept([(7, update(7, "第一个问题")), (8, update(8, "第二个问题"))])
    inbox.done(7)
    del inbox  # as a killed process: no close()
    again = Inbox(path)
    assert again.pending() == [(8, update(8, "第二个问题"))]
    assert again.counts() == (1, 1)
    again.close()
    assert "第一个问题" not in path.read_bytes().decode("utf-8", "replace")


def test_unreadable_updates_are_recorded_as_done(tmp_path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite3")
    inbox.accept([(5, update(5))])
    inbox.skip([5, 6])
    assert inbox.pending() == []
    assert inbox.accept([(6, update(6))]) == [False]


def test_done_rows_are_pruned_after_a_while(tmp_path) -> None:
    now = [1_000_000.0]
    inbox = Inbox(tmp_path / "inbox.sqlite3", clock=lambda: now[0])
    inbox.accept([(1, update(1)), (2, update(2))])
    inbox.done(1)
    now[0] += KEEP_DONE_SECONDS + 1
    inbox.prune()
    assert inbox.counts() == (1, 0)  # the pending one is kept, however old
    assert inbox.accept([(1, update(1))]) == [True]  # long forgotten: Telegram won't resend
