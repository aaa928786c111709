"""A client that talks to the shop the way 1C:Enterprise does (type=sale), for trying the exchange out.

    python -m erp_sync.client --url http://127.0.0.1:8000/erp/exchange/ --user exchange --password exchange

runs checkauth → init → query (saves the orders) → success, then answers
every exported order with a document that posts it (and, with ``--paid`` /
``--shipped``, pays / ships it), uploads that in chunks of the shop's
``file_limit`` and calls ``import`` until the shop says ``success``. With
``--catalog DIR`` it sends a catalogue instead (type=catalog): the directory's
import*.xml, offers*.xml, prices*.xml, rests*.xml and import_files/, zipped when
the shop allows, then ``import`` of each until ``success``. Only the standard
library and lxml: it runs without Django.
"""

import argparse
import base64
import datetime
import http.cookiejar
import io
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from xml.sax.saxutils import escape

from lxml import etree

NAMESPACE = "urn:1C.ru:commerceml_2"


class ExchangeError(Exception):
    """The shop answered ``failure`` (or something that is not the protocol)."""


class Reply:
    def __init__(self, status, lines, body, headers):
        self.status, self.lines, self.body, self.headers = status, lines, body, headers

    def __repr__(self):
        return f"Reply({self.status!r}, {self.lines!r})"


class ExchangeClient:
    """One exchange session, driven like 1C drives it (the cookie comes from checkauth's reply)."""

    def __init__(self, url, user, password, *, version="2.08", timeout=120, exchange_type="sale"):
        self.url, self.user, self.password = url, user, password
        self.version, self.timeout, self.exchange_type = version, timeout, exchange_type
        self.cookies = http.cookiejar.CookieJar()
        self.cookie = None
        self.zip = False
        self.file_limit = 200 * 1024
        self.send_auth = True

    # --- transport ---------------------------------------------------------

    def call(self, mode, *, data=None, params=None, check=True):
        query = {"type": self.exchange_type, "mode": mode, **(params or {})}
        request = urllib.request.Request(
            f"{self.url}{'&' if '?' in self.url else '?'}{urllib.parse.urlencode(query)}",
            data=data,
            method="POST" if data is not None else "GET",
        )
        if self.send_auth:
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
            request.add_header("Authorization", f"Basic {token}")
        if self.cookie:
            request.add_header("Cookie", f"{self.cookie[0]}={self.cookie[1]}")
        if data is not None:
            request.add_header("Content-Type", "application/octet-stream")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body, headers = response.read(), response.headers
        except urllib.error.HTTPError as error:
            body, headers = error.read(), error.headers
        charset = headers.get_content_charset() or "utf-8"
        if (headers.get_content_type() or "").endswith("xml"):
            return Reply("xml", [], body, headers)
        text = body.decode(charset, errors="replace")
        lines = text.split("\n")
        status, rest = lines[0].strip(), [line.rstrip("\r") for line in lines[1:] if line.strip()]
        reply = Reply(status, rest, body, headers)
        if check and status == "failure":
            raise ExchangeError(f"{mode}: {' '.join(rest)}")
        return reply

    # --- the protocol ----------------------------------------------------------

    def checkauth(self):
        reply = self.call("checkauth")
        if reply.status != "success" or len(reply.lines) < 2:
            raise ExchangeError(f"checkauth: unexpected reply {reply!r}")
        self.cookie = (reply.lines[0], reply.lines[1])
        return reply

    def init(self):
        reply = self.call("init", params={"version": self.version} if self.version else None)
        options = dict(line.split("=", 1) for line in [reply.status, *reply.lines] if "=" in line)
        self.zip = options.get("zip") == "yes"
        self.file_limit = int(options.get("file_limit", self.file_limit))
        return options

    def query(self):
        reply = self.call("query")
        if reply.status != "xml":
            raise ExchangeError(f"query: expected XML, got {reply!r}")
        return reply.body

    def success(self):
        return self.call("success")

    def upload(self, filename, data, *, chunk_size=None):
        """POST ``data`` as ``filename`` in chunks of ``file_limit`` bytes (appended by the shop)."""
        chunk_size = chunk_size or self.file_limit
        replies = []
        for start in range(0, max(len(data), 1), chunk_size):
            replies.append(self.call("file", data=data[start : start + chunk_size], params={"filename": filename}))
        return replies

    def import_file(self, filename, *, max_steps=10_000):
        """Call ``import`` until ``success``; returns every reply (the ``progress`` ones first)."""
        replies = []
        for _step in range(max_steps):
            reply = self.call("import", params={"filename": filename})
            replies.append(reply)
            if reply.status == "success":
                return replies
            if reply.status != "progress":
                raise ExchangeError(f"import: unexpected reply {reply!r}")
        raise ExchangeError("import: no end in sight")

    def send(self, filename, data, *, zipped=None, chunk_size=None):
        """Upload one document file (zipped if the shop allows and ``zipped`` is not False) and import it."""
        zipped = self.zip if zipped is None else zipped
        if zipped:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(filename, data)
            name = filename.rsplit(".", 1)[0] + ".zip"
            self.upload(name, buffer.getvalue(), chunk_size=chunk_size)
            return self.import_file(name)
        self.upload(filename, data, chunk_size=chunk_size)
        return self.import_file(filename)

    def send_catalogue(self, files, *, zipped=None, chunk_size=None):
        """Send a catalogue as 1C does (``exchange_type="catalog"``): every file, then ``import`` of each XML in order.

        ``files`` is a list of (name, bytes), pictures under ``import_files/``
        included. With zip=yes they go in one archive. Returns {XML name: replies}.
        """
        zipped = self.zip if zipped is None else zipped
        if zipped:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, data in files:
                    archive.writestr(name, data)
            self.upload("import_files.zip", buffer.getvalue(), chunk_size=chunk_size)
        else:
            for name, data in files:
                self.upload(name, data, chunk_size=chunk_size)
        return {name: self.import_file(name) for name in catalogue_order(name for name, _data in files)}


# --- The catalogue ----------------------------------------------------------------

CATALOGUE_ORDER = ("import", "offers", "prices", "rests")


def catalogue_order(names):
    """The catalogue XML files among ``names``, in the order 1C imports them: products before offers."""

    def rank(name):
        base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
        return next((index for index, prefix in enumerate(CATALOGUE_ORDER) if base.startswith(prefix)), None)

    wanted = [name for name in names if name.lower().endswith(".xml") and rank(name) is not None]
    return sorted(wanted, key=lambda name: (rank(name), name.lower()))


def catalogue_files(directory):
    """(name, bytes) for the catalogue files of ``directory`` and the pictures of its ``import_files/``."""
    import os

    files = []
    for root, _dirs, names in os.walk(directory):
        for name in sorted(names):
            path = os.path.join(root, name)
            relative = os.path.relpath(path, directory).replace(os.sep, "/")
            if relative.startswith("import_files/") or relative in catalogue_order([relative]):
                with open(path, "rb") as handle:
                    files.append((relative, handle.read()))
    return files


# --- Documents the accounting system sends back -----------------------------------


def _local(tag):
    return etree.QName(tag).localname


def exported_orders(xml):
    """(order id, {requisite: value}, [(product id, amount)]) for each order of a ``query`` reply."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(xml, parser)
    orders = []
    for doc in root.iter("{*}Документ", "Документ"):
        ident = next((child.text for child in doc if _local(child.tag) == "Ид"), "")
        requisites = {}
        for requisite in doc.iter("{*}ЗначениеРеквизита", "ЗначениеРеквизита"):
            if requisite.getparent().getparent() is doc:
                values = {_local(child.tag): child.text or "" for child in requisite}
                requisites[values.get("Наименование", "")] = values.get("Значение", "")
        lines = []
        for item in doc.iter("{*}Товар", "Товар"):
            values = {_local(child.tag): child.text or "" for child in item}
            lines.append((values.get("Ид", ""), values.get("Сумма", "0")))
        orders.append((ident, requisites, lines))
    return orders


def answer_documents(
    orders,
    *,
    version=1,
    posted=True,
    paid=False,
    shipped=False,
    cancelled=False,
    encoding="windows-1251",
    namespace=False,
    now=None,
    erp_prefix="ERP-",
    store=None,
):
    """A CommerceML file in which the accounting system posts (pays, ships, cancels) ``orders``.

    ``orders`` is a list of order ids, or of (id, lines) with lines as
    (product id, amount) pairs to send changed amounts back. ``store`` names
    the store the sales were made at (the requisite "Магазин").
    """
    now = now or datetime.datetime.now().replace(microsecond=0)
    ns = f' xmlns="{NAMESPACE}"' if namespace else ""
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>\n',
        f'<КоммерческаяИнформация{ns} ВерсияСхемы="2.08" ДатаФормирования="{now:%Y-%m-%dT%H:%M:%S}">\n',
    ]
    stamp = f"{now:%Y-%m-%dT%H:%M:%S}"
    for order in orders:
        ident, lines = (order, None) if isinstance(order, str) else order
        requisites = [
            ("Проведен", "true" if posted else "false"),
            ("Номер по 1С", f"{erp_prefix}{ident}"),
            ("Дата по 1С", stamp),
        ]
        if paid:
            requisites += [("Номер оплаты по 1С", f"PAY-{ident}"), ("Дата оплаты по 1С", stamp)]
        if shipped:
            requisites += [("Номер отгрузки по 1С", f"SHIP-{ident}"), ("Дата отгрузки по 1С", stamp)]
        if cancelled:
            requisites.append(("Отменен", "true"))
        if store is not None:
            requisites.append(("Магазин", escape(str(store))))
        parts.append("<Документ>")
        parts.append(f"<Ид>{ident}</Ид><Номер>{ident}</Номер><Дата>{now:%Y-%m-%d}</Дата>")
        parts.append("<ХозОперация>Заказ товара</ХозОперация><Роль>Продавец</Роль><Валюта>RUB</Валюта>")
        if version is not None:  # some exporters send none
            parts.append(f"<НомерВерсии>{version}</НомерВерсии>")
        parts.append(f"<ПометкаУдаления>{'true' if cancelled else 'false'}</ПометкаУдаления>")
        if lines is not None:
            parts.append("<Товары>")
            for product_id, amount in lines:
                parts.append(
                    f"<Товар><Ид>{product_id}</Ид><Наименование>-</Наименование><Сумма>{amount}</Сумма></Товар>"
                )
            parts.append("</Товары>")
        parts.append("<ЗначенияРеквизитов>")
        for name, value in requisites:
            parts.append(
                f"<ЗначениеРеквизита><Наименование>{name}</Наименование><Значение>{value}</Значение></ЗначениеРеквизита>"
            )
        parts.append("</ЗначенияРеквизитов></Документ>\n")
    parts.append("</КоммерческаяИнформация>\n")
    return "".join(parts).encode(encoding)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m erp_sync.client", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", required=True, help="the shop's exchange URL, e.g. http://127.0.0.1:8000/erp/exchange/"
    )
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--save", metavar="FILE", help="write the exported orders to FILE")
    parser.add_argument(
        "--no-ack", action="store_true", help="do not acknowledge (the next query sends the same orders)"
    )
    parser.add_argument("--paid", action="store_true", help="report the exported orders paid")
    parser.add_argument("--shipped", action="store_true", help="report the exported orders shipped")
    parser.add_argument("--cancel", action="store_true", help="report the exported orders cancelled")
    parser.add_argument("--no-answer", action="store_true", help="only fetch orders, send nothing back")
    parser.add_argument("--send", metavar="FILE", action="append", default=[], help="also send this document file")
    parser.add_argument("--encoding", default="windows-1251", choices=["windows-1251", "utf-8"])
    parser.add_argument("--version", default="2.08", help="protocol version sent at init ('' for the old protocol)")
    parser.add_argument(
        "--catalog",
        metavar="DIR",
        help="send the catalogue files of DIR (type=catalog: import*.xml, offers*.xml, ..., import_files/) instead",
    )
    args = parser.parse_args(argv)
    if args.catalog:
        return send_catalogue(args)

    client = ExchangeClient(args.url, args.user, args.password, version=args.version)
    try:
        client.checkauth()
        print("checkauth: success")
        options = client.init()
        print(f"init: zip={'yes' if client.zip else 'no'} file_limit={client.file_limit} {options}")
        xml = client.query()
        orders = exported_orders(xml)
        print(f"query: {len(orders)} order(s), {len(xml)} bytes")
        for ident, requisites, _lines in orders[:20]:
            print(
                f"  {ident}: {requisites.get('Статус заказа', '')}; "
                + "; ".join(
                    f"{name}={value}" for name, value in requisites.items() if "бонус" in name.lower() and value
                )
            )
        if len(orders) > 20:
            print(f"  ... and {len(orders) - 20} more")
        if args.save:
            with open(args.save, "wb") as out:
                out.write(xml)
        if not args.no_ack:
            client.success()
            print("success: export acknowledged")
        files = [(path.rsplit("/", 1)[-1], open(path, "rb").read()) for path in args.send]
        if orders and not args.no_answer:
            data = answer_documents(
                [ident for ident, _r, _l in orders],
                version=int(datetime.datetime.now().timestamp()),
                paid=args.paid,
                shipped=args.shipped,
                cancelled=args.cancel,
                encoding=args.encoding,
            )
            files.append((f"documents___{uuid.uuid4()}.xml", data))
        for name, data in files:
            replies = client.send(name, data)
            for reply in replies:
                print(f"import {name}: {reply.status} {' '.join(reply.lines)}")
    except (ExchangeError, OSError) as error:
        print(f"failure: {error}", file=sys.stderr)
        return 1
    return 0


def send_catalogue(args):
    """``--catalog DIR``: checkauth, init, the files (zipped when the shop allows), import until success."""
    client = ExchangeClient(args.url, args.user, args.password, version=args.version, exchange_type="catalog")
    try:
        client.checkauth()
        client.init()
        print(f"init: zip={'yes' if client.zip else 'no'} file_limit={client.file_limit}")
        files = catalogue_files(args.catalog)
        if not catalogue_order(name for name, _data in files):
            raise ExchangeError(f"no catalogue files in {args.catalog}")
        for name, replies in client.send_catalogue(files).items():
            print(f"import {name}: {len(replies) - 1} progress step(s), then {replies[-1].status}")
            for line in replies[-1].lines:
                print(f"  {line}")
    except (ExchangeError, OSError) as error:
        print(f"failure: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
