"""The catalogue from the accounting system (``type=catalog``): products, prices, stock and margin groups.

A sub-package of the exchange because it is the exchange's other half: the
same endpoint, sessions, uploads, storage and hardened CommerceML reading
serve it. Inside, one module per operation: ``reading`` (pure: files to
dataclasses), ``products`` and ``offers`` (dataclasses to Oscar's catalogue,
in batches), ``runs`` (a file imported step by step, logged as a
``CatalogueImport``) and ``exchange`` (the ``mode=import`` of a session).
"""
