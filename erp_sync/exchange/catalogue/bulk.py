"""Inserting a batch of rows in one statement, cheaply on PostgreSQL.

Django's ``bulk_create`` prepares every value of every field of every row in
Python, which costs more than the database's own work for a catalogue of
wide rows (a product has twenty columns). On PostgreSQL the rows go instead
as one array per column through ``unnest``: one short statement, values
prepared once per column type; the rows' ids come back as ``bulk_create``'s
do. Other databases use ``bulk_create``.
"""

from django.db import connection, models
from django.utils import timezone

#: Field classes whose Python values the database driver takes as they are.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DecimalField,
    models.DateTimeField,
    models.FloatField,
    models.ForeignKey,
    models.OneToOneField,
)


def _binary_cursor():
    """A cursor binding its parameters on the server, in binary: arrays of a thousand values go without quoting.

    Django's own cursor binds on the client (the values written into the
    statement's text), which for long arrays costs more than the insert.
    """
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def insert(model, objects, *, batch_size=None):
    """Insert ``objects`` (unsaved instances of ``model``) and set their primary keys."""
    objects = list(objects)
    if not objects:
        return objects
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objects, batch_size=batch_size)
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objects:
                if getattr(obj, field.attname) is None or getattr(field, "auto_now", False):
                    setattr(obj, field.attname, now)
    columns, casts, arrays = [], [], []
    for field in fields:
        attname = field.attname
        if isinstance(field, _PLAIN) and not isinstance(field, models.FileField):
            values = [getattr(obj, attname) for obj in objects]
        else:
            values = [field.get_db_prep_save(getattr(obj, attname), connection) for obj in objects]
        columns.append(connection.ops.quote_name(field.column))
        casts.append(f"%b::{field.db_type(connection)}[]")
        arrays.append(values)
    pk = meta.pk
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT * FROM unnest({', '.join(casts)}) RETURNING {connection.ops.quote_name(pk.column)}"
    )
    with _binary_cursor() as cursor:
        cursor.execute(sql, arrays)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk_value in zip(objects, ids, strict=True):
        setattr(obj, pk.attname, pk_value)
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def insert_rows(model, rows):
    """Insert rows given as ``{attname: value}`` dicts (the model's defaults for the rest); returns nothing.

    For the link tables of a batch (categories, attribute values,
    assignments): no model instance per row is built on PostgreSQL.
    """
    rows = list(rows)
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows])
        return
    template = model()
    meta = model._meta
    columns, casts, arrays = [], [], []
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        attname = field.attname
        if attname in rows[0]:
            values = [row[attname] for row in rows]
        else:
            value = getattr(template, attname)
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = value or timezone.now()
            if not isinstance(field, _PLAIN) or isinstance(field, models.FileField):
                value = field.get_db_prep_save(value, connection)
            values = [value] * len(rows)
        columns.append(connection.ops.quote_name(field.column))
        casts.append(f"%b::{field.db_type(connection)}[]")
        arrays.append(values)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT * FROM unnest({', '.join(casts)})"
    )
    with _binary_cursor() as cursor:
        cursor.execute(sql, arrays)
