"""Incoming SMS, whatever the gateway it came through: each is stored once and classified (an opt-out,
an appointment confirmation, an on-call clinician's `OK <ref>`, an almost-opt-out, or a message for the
coordinators), and the inbox coordinators work through.

- `replies.py`: receiving one SMS and acting on it;
- `optout_words.py`: the words that ask to stop, in French, English and Bambara;
- `queue.py`: the coordinators' inbox, almost-opt-outs first.
"""
