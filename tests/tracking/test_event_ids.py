"""Event ids: time-ordered UUIDv7s whose random bits never repeat, across threads and across a fork."""

from __future__ import annotations

import os
import threading
import uuid

from omnicx.tracking.wire import event_id


def _random_part(value: uuid.UUID) -> int:
    """The 74 random bits of a UUIDv7 (12 after the version, 62 after the variant)."""
    return ((value.int >> 64) & 0xFFF) << 62 | (value.int & ((1 << 62) - 1))


def test_ids_are_version_7_and_distinct_across_threads() -> None:
    found: list[uuid.UUID] = []
    lock = threading.Lock()

    def draw() -> None:
        ids = [event_id() for _ in range(2_000)]  # several draws of the per-thread store
        with lock:
            found.extend(ids)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {i.version for i in found} == {7}
    assert len({_random_part(i) for i in found}) == len(found) == 8_000


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    event_id()  # the parent's store now holds randomness for its next ids
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next ids, to the parent, then leave without running pytest's teardown
        os.close(read)
        os.write(write, b"".join(event_id().bytes for _ in range(10)))
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        sent = pipe.read()
    os.waitpid(child, 0)
    theirs = {_random_part(uuid.UUID(bytes=sent[i : i + 16])) for i in range(0, len(sent), 16)}
    ours = {_random_part(event_id()) for _ in range(10)}
    assert len(theirs) == 10 and not theirs & ours
