"""Helpers for the point codes' tests: a program, an exported batch and a request from a customer."""

from datetime import timedelta

from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.codes import batches

ManufacturerProgram = get_model("oscar_loyalty", "ManufacturerProgram")
Dealer = get_model("oscar_loyalty", "Dealer")


def make_program(**fields):
    fields.setdefault("name", "Nordic tyres")
    fields.setdefault("manufacturer", "Nordic Tyre Works")
    return ManufacturerProgram.objects.create(**fields)


def make_dealer(*users, **fields):
    fields.setdefault("name", "Wheels & Co")
    dealer = Dealer.objects.create(**fields)
    dealer.users.set(users)
    return dealer


def make_batch(program=None, *, size=3, points=100, export=True, now=None, **fields):
    """A batch valid from a day ago for a year; returns ``(batch, plain codes)`` (codes only if exported)."""
    now = now or timezone.now()
    program = program or make_program()
    fields.setdefault("name", "Batch 1")
    fields.setdefault("valid_from", now - timedelta(days=1))
    fields.setdefault("valid_until", now + timedelta(days=365))
    batch = batches.create_batch(program, points=points, size=size, actor="Staff", now=now, **fields)
    codes = batches.export_codes(batch, actor="Staff", now=now) if export else []
    return batch, codes


def customer_request(user, ip="192.0.2.10"):
    """A request from ``user`` at ``ip``, as the register view hands it to the services."""
    request = RequestFactory().post("/", REMOTE_ADDR=ip)
    request.user = user
    request.session = SessionStore()
    return request
