"""Settings of the CommerceML HTTP exchange, each read from ``ERP_SYNC_<NAME>``.

Read at call time, so ``override_settings`` works in tests.
"""

import os
import tempfile

from django.conf import settings as django_settings

DEFAULTS = {
    # The exchange URL's path, as the accounting system is told (no leading slash).
    "EXCHANGE_PATH": "erp/exchange/",
    # --- Who may call ---
    # The one user the accounting system logs in as. It also needs the permission
    # "erp_sync.exchange_orders", granted explicitly (a superuser is not let in
    # without it). None: any active user holding that permission.
    "EXCHANGE_USERNAME": None,
    # The session cookie ``checkauth`` hands out, and how long a session lives.
    "EXCHANGE_COOKIE_NAME": "erp_exchange",
    "EXCHANGE_SESSION_HOURS": 12,
    # Failed logins (a wrong password, on checkauth or any later call) allowed per
    # client address and per user name in each window; past either limit every
    # login is refused until the window ends (0: no limit). The address is REMOTE_ADDR:
    # behind a proxy, set it from the proxy's header in a middleware.
    "EXCHANGE_LOGIN_FAILURES_PER_ADDRESS": 10,
    "EXCHANGE_LOGIN_FAILURES_PER_USER": 30,
    "EXCHANGE_LOGIN_WINDOW_MINUTES": 15,
    # --- Files ---
    # Where each session's working directory is made (not under MEDIA_ROOT:
    # nothing uploaded may be served). None: "erp_sync_exchange" in the system temp dir.
    "EXCHANGE_DIR": None,
    # How many web processes serve the shop (None: the WEB_CONCURRENCY environment
    # variable, else 1). Read by the system check erp_sync.W005 only: with more than
    # one, EXCHANGE_DIR must be a directory they all share.
    "WEB_PROCESSES": None,
    # Offer zip archives at ``init`` (zip=yes).
    "EXCHANGE_ZIP": True,
    # The largest request body the accounting system should send (file_limit at ``init``).
    "EXCHANGE_FILE_LIMIT": 200 * 1024,
    # The largest file accepted, after all its chunks (and unpacked, for a zip's members).
    "EXCHANGE_MAX_FILE_SIZE": 50 * 1024 * 1024,
    # A zip archive may hold at most this many files, and unpack to at most
    # this many times its own size (a zip bomb is refused before anything is written).
    "EXCHANGE_MAX_ZIP_MEMBERS": 100,
    "EXCHANGE_MAX_ZIP_RATIO": 200,
    # Seconds one ``import`` step may run before it answers ``progress``.
    "EXCHANGE_STEP_SECONDS": 10,
    # --- Orders out ---
    # The encoding of the orders the shop sends ("windows-1251" or "utf-8").
    "EXCHANGE_ENCODING": "windows-1251",
    # Orders read (with their lines, payments and points) per batch of queries.
    "EXCHANGE_BATCH_SIZE": 500,
    # On PostgreSQL, how long ``query`` waits for the transactions writing the
    # journal, the orders or their status changes to end, so that nothing they
    # write falls behind the export's window; past it the query answers
    # ``failure`` and the next one tries again.
    "EXCHANGE_SETTLE_SECONDS": 10,
    # The CommerceML schema version written, and whether to declare the namespace.
    "EXCHANGE_SCHEMA_VERSION": "2.08",
    "EXCHANGE_NAMESPACE": False,
    # The "Сайт" requisite (empty: the current Site's name).
    "EXCHANGE_SITE_NAME": "",
    # The product attribute (code) holding a product's id in the accounting
    # system, for catalogues that came from there; else the UPC, else the shop's id.
    "EXCHANGE_PRODUCT_ID_ATTRIBUTE": "erp_id",
    # Names of the requisites carrying the bonus data (CommerceML has no element for it).
    "EXCHANGE_BONUS_REQUISITES": {
        "paid_amount": "Оплачено бонусами",
        "paid_points": "Списано бонусов",
        "accrued_points": "Начислено бонусов",
        "accrual_state": "Статус начисления бонусов",
        "card": "Бонусная карта",
        "tier": "Уровень бонусной программы",
    },
    # The payment method (Метод оплаты) of an order that points paid part of. None: every
    # order names its payment source type, as ``mode=info`` lists them: the money payment's
    # when there is one (the largest, of several), else the points' (OSCAR_LOYALTY_POINTS_SOURCE_TYPE).
    "EXCHANGE_BONUS_PAYMENT_METHOD": None,
    # --- Orders in ---
    # Documents naming an order the shop does not have are skipped, listed in the
    # reply's warning lines and the log, and the rest of the file is applied.
    # True: such a file is refused whole ("failure" listing them), none of it applied.
    "EXCHANGE_UNKNOWN_ORDERS_FATAL": False,
    # The requisites that may name the store (point of sale) a sale was made at; the
    # first one present wins, and the order's points record the sales channel
    # "store:<its value>", which campaign rules may be limited to. (): none.
    "EXCHANGE_STORE_REQUISITES": ("Магазин", "Торговая точка"),
    # Accrue an order's points when the accounting system posts it (Проведен=true).
    "EXCHANGE_ACCRUE_ON_POSTED": True,
    # The shop status an order moves to on each event from the accounting
    # system (None: leave the status alone). Moves the pipeline does not allow are skipped.
    "EXCHANGE_STATUS_MAP": {
        "paid": "Being processed",
        "shipped": "Complete",
        "posted": None,
        "cancelled": "Cancelled",
    },
    # --- Catalogue in (type=catalog: import.xml, offers.xml, prices*.xml, rests*.xml) ---
    # Products, offers or prices written per batch: one batch costs a fixed number of
    # queries, whatever its size, and is one transaction.
    "CATALOGUE_BATCH_SIZE": 500,
    # The partner (by name) whose stock records the offers fill. None: the shop's only
    # partner; with none yet, one named "Accounting system" is created; with several,
    # an offers file is refused until this is set.
    "CATALOGUE_PARTNER": None,
    # The price type (its Ид or its name, as 1C declares it in ТипыЦен) whose price
    # becomes the stock record's price. None: the first price type declared, else
    # the first price of each offer.
    "CATALOGUE_PRICE_TYPE": None,
    # The VAT rate in percent added to prices of a price type that says the tax is
    # not included (Налог/УчтеноВСумме=false), for products without a rate of their own
    # (СтавкиНалогов wins). None: such products' prices are stored as sent.
    "CATALOGUE_TAX_RATE": None,
    # The warehouses (Ид or name) whose Остатки count towards the stock. None: all of them.
    "CATALOGUE_WAREHOUSES": None,
    # Warehouses (Ид or name) that stand for partners of their own, {warehouse: partner
    # name}: their Остатки become a stock record at that partner (created if missing),
    # with the offer's price, instead of counting towards the stock above. {}: none.
    "CATALOGUE_WAREHOUSE_PARTNERS": {},
    # The product class (by name) of new products; the requisite naming a product's
    # class in the accounting system takes precedence when sent (None: not read).
    "CATALOGUE_PRODUCT_CLASS": "Товар",
    "CATALOGUE_PRODUCT_CLASS_REQUISITE": "ВидНоменклатуры",
    # Values copied to product attributes: {source: attribute code}. A source is
    # "Артикул", "БазоваяЕдиница", "Штрихкод", a requisite's name, a property's name
    # or Ид, or a characteristic's name (for variants). Missing attributes are
    # created as text attributes of the product's class.
    "CATALOGUE_ATTRIBUTES": {"Артикул": "article", "БазоваяЕдиница": "unit"},
    # Штрихкод becomes the product's UPC; a product the accounting system has not
    # sent before is first looked up by that UPC (so a catalogue entered by hand is
    # adopted, not duplicated). False: barcodes are ignored.
    "CATALOGUE_MATCH_BARCODE": True,
    # Copy the pictures 1C sends under import_files/ to the products' images.
    "CATALOGUE_IMAGES": True,
    # A full upload (СодержитТолькоИзменения="false") makes what it does not list
    # unavailable; nothing is ever deleted. Products: "hide" (no longer public) or
    # "keep". Offers: "out_of_stock" (stock 0 at the partner) or "keep". A file that
    # does not say whether it is full counts as holding changes only.
    "CATALOGUE_ABSENT_PRODUCTS": "hide",
    "CATALOGUE_ABSENT_OFFERS": "out_of_stock",
    # The requisite or property (name or Ид) naming a product's margin group. Groups
    # not yet in the shop are created with coefficient 1.0 for staff to set. None: not read.
    "CATALOGUE_MARGIN_GROUP_SOURCE": "ГруппаМаржинальности",
    # Products without that value join the margin group named after their group in
    # the classifier (created the same way).
    "CATALOGUE_MARGIN_GROUP_FROM_CLASSIFIER": False,
    # How many per-product errors an import run keeps (all are counted).
    "CATALOGUE_ERRORS_KEPT": 200,
}


class ExchangeSettings:
    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(name)
        value = getattr(django_settings, f"ERP_SYNC_{name}", DEFAULTS[name])
        if name == "EXCHANGE_BONUS_REQUISITES":
            return {**DEFAULTS[name], **value}
        if name == "CATALOGUE_ATTRIBUTES":
            return dict(value or {})
        if name == "EXCHANGE_STATUS_MAP":
            return {**DEFAULTS[name], **value}
        if name == "EXCHANGE_DIR" and not value:
            return os.path.join(tempfile.gettempdir(), "erp_sync_exchange")
        return value


exchange_settings = ExchangeSettings()
