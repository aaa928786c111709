"""The CommerceML 2.x HTTP exchange: the accounting system calls the shop.

Modules: ``settings`` (configuration), ``commerceml`` (pure XML reading and
writing), ``export`` (orders out), ``mapping`` (documents in, applied to
orders through the loyalty services), ``storage`` (session directories and
uploads), ``services`` (the exchange's public API) and ``views`` (the HTTP
protocol).
"""
