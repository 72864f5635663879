"""SMS and voice gateways: one module per provider, each holding its adapters, its status tables, its
callbacks and its commands; the provider-neutral port (`port.py`), the ordered chain with fallback
(`chain.py`), delivery reports (`reports.py`), and which gateways exist (`registry.py`).

A new provider is a new module with a `NAME`, the variables it `REQUIRED` (and the secrets a production
service must have strong, `PRODUCTION_SECRETS`), an adapter class (a voice one with its `VOICE_REQUIRED`)
and, if the provider calls back, a blueprint `bp`; `registry.py` lists it.
"""
