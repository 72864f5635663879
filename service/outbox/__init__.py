"""Outbound messages: the registry of message kinds, their templates, and the rows every SMS is first.

`kinds` says what each kind is; `templates` turns a kind and its params into text; `rows` creates,
re-plans and cancels rows; `lifecycle` moves a row from one status to the next. Sending them is the
`sms` area's work.
"""
