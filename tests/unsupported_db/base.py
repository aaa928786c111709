"""SQLite under another vendor's name: a database the plugin does not support, without its driver.

``tests/test_packaging.py`` runs ``migrate`` on it to see the refusal come
before anything is written.
"""

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    vendor = "mysql"
    display_name = "MySQL"
