"""A long queue in seconds rather than hours: one queued message's files copied under fresh
ids into their buckets, as if they had all been queued (bench/million_queue.py, and the
start-up tests in tests/integration/test_queue_loading.py)."""
import time

ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def bucket_of(message_id):
    """The spool's bucket for an id (FNV-1a, as src/spool/spool.cpp)."""
    h = 2166136261
    for c in message_id.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return f"{h % 256:02x}"


def clone_queue(spool, copies, schedules=True):
    """Copies a queued message and its schedule `copies` times under new ids, newer than
    any queued before. Without schedules the copies are due at once."""
    queue_file = next(spool.glob("queue/*/*"))
    schedule_file = spool / "schedule" / queue_file.parent.name / queue_file.name
    queue_bytes, schedule_bytes = queue_file.read_bytes(), schedule_file.read_bytes()
    start = time.time_ns() // 1000
    for n in range(copies):
        # Time and counter digits as new_message_id() makes them; a fixed random part.
        message_id = "".join(ID_ALPHABET[((start + n) >> (5 * i)) & 31] for i in range(10, -1, -1))
        message_id += "".join(ID_ALPHABET[(n >> (5 * i)) & 31] for i in range(3, -1, -1)) + "c1one"
        bucket = bucket_of(message_id)
        (spool / "queue" / bucket / message_id).write_bytes(queue_bytes)
        if schedules:
            (spool / "schedule" / bucket / message_id).write_bytes(schedule_bytes)
