"""Fill the demo shop with a catalogue, customers, orders and points.

Completed orders earn through the earning layer, as the order-status
receivers would have when each order was delivered: at the customer's tier
of the day, with the products' margin groups, and counting towards the
customer's tier; a cancelled order is reversed the same way. Points spent
at checkout and the shop's adjustments go through the ledger's API.

Safe to run again: rows are keyed on natural keys (UPC, username, order
number) and every loyalty operation is idempotent by order or by a fixed
key, so a second run changes nothing and adds nothing.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oscar.apps.catalogue.categories import create_from_breadcrumbs
from oscar.core.loading import get_class, get_model
from oscar.templatetags.currency_filters import currency
from wagtail.models import Site as WagtailSite

from erp_sync.soap.receivers import deliveries_held
from erp_sync.soap.settings import soap_settings
from oscar_loyalty.earning import margins, services, tiers
from oscar_loyalty.earning.calculations import upcoming_points
from oscar_loyalty.ledger import activate_matured_lots, adjust, capture, expire_lots, get_balance, reserve
from oscar_loyalty.settings import loyalty_settings
from sandbox.demo import data, history

Basket = get_model("basket", "Basket")
Country = get_model("address", "Country")
UserAddress = get_model("address", "UserAddress")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Category = get_model("catalogue", "Category")
ProductCategory = get_model("catalogue", "ProductCategory")
Order = get_model("order", "Order")
ShippingAddress = get_model("order", "ShippingAddress")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
ProductAttribute = get_model("catalogue", "ProductAttribute")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
OutboxMessage = get_model("erp_sync", "OutboxMessage")

OrderCreator = get_class("order.utils", "OrderCreator")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
SurchargeApplicator = get_class("checkout.applicator", "SurchargeApplicator")
Selector = get_class("partner.strategy", "Selector")
Free = get_class("shipping.methods", "Free")

SHOP_URL = "http://127.0.0.1:8000"

# The accounting system's login for the CommerceML exchange (ERP_SYNC_EXCHANGE_USERNAME).
EXCHANGE_USERNAME = "exchange"
EXCHANGE_PASSWORD = "exchange-demo"


class Command(BaseCommand):
    help = _("Load the demo shop's catalogue, customers, order history and loyalty points.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins",
            action="store_true",
            help=_("Only print the demo logins and the customers' current balances."),
        )
        parser.add_argument(
            "--shop-url",
            default=SHOP_URL,
            help=_("Where the demo shop is served, for the printed links (default %(default)s)."),
        )

    # Loading the demo mails nobody: what its customers are told (a prize packed, say) is kept in the
    # dashboard's notifications instead of being printed among the log's lines.
    @override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    def handle(self, *args, logins=False, shop_url=SHOP_URL, **options):
        if logins:
            self.print_logins(shop_url.rstrip("/"))
            return
        # The accounting system the demo syncs with is the demo itself (/erp-service/), which is not
        # served while the data loads: the movements wait in the outbox rather than fail to go out.
        with deliveries_held():
            now = timezone.now()
            self.configure_sites()
            country = self.create_country()
            products = self.create_catalogue()
            self.assign_margin_groups(products)
            admin = self.create_admin()
            self.create_exchange_user()
            self.mark_erp_products(products)
            customers = {spec.email: self.create_customer(spec, country) for spec in data.CUSTOMERS}
            specs = {spec.email: spec for spec in data.CUSTOMERS}
            orders = {
                spec.number: self.place_order(spec, customers[spec.email], specs[spec.email], country, products, now)
                for spec in data.ORDERS
            }
            self.record_points(customers, orders, admin, now)
            # A year of members and guests behind the loyalty dashboard's KPIs and charts.
            history_orders = history.load(self, country, products, admin, now)
            history.create_loyalty_staff()
            from sandbox.demo import codes

            codes.load(self, customers, now)
            from sandbox.demo import rewards

            rewards.load(self, customers, now)
            from sandbox.demo import campaigns

            campaigns.load(self, now)
            from sandbox.demo import segments

            segments.load(self, now)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo data ready: %(products)d products in %(categories)d categories, "
                    "%(customers)d customers, %(orders)d orders."
                )
                % {
                    "products": len(products),
                    "categories": Category.objects.count(),
                    "customers": len(customers) + history.MEMBERS,
                    "orders": len(orders) + len(history_orders),
                }
            )
        )
        self.report_waiting_movements()
        self.stdout.write(_("Run it with --logins to see the logins and balances."))

    def report_waiting_movements(self):
        """Say why the movements have not gone to the accounting system yet, and how they will."""
        waiting = OutboxMessage.objects.filter(status=OutboxMessage.PENDING).count()
        if not waiting or not soap_settings.SOAP_URL:
            return
        message = ngettext(
            "%(count)d points movement waits in the outbox for the accounting system: it was not sent while "
            "the data loaded, because the demo's accounting system (/erp-service/) is served with the shop.",
            "%(count)d points movements wait in the outbox for the accounting system: they were not sent while "
            "the data loaded, because the demo's accounting system (/erp-service/) is served with the shop.",
            waiting,
        ) % {"count": waiting}
        hint = _(
            "Once the shop is served, send them from the dashboard: Accounting system, Movements for the "
            "accounting system, Send waiting movements now (with a Celery broker and beat, the sweep sends them)."
        )
        self.stdout.write(f"{message} {hint}")

    # --- Sites -----------------------------------------------------------

    def configure_sites(self):
        # Oscar builds absolute links (e-mails, sitemaps) from Django's site.
        Site.objects.update_or_create(
            pk=settings.SITE_ID, defaults={"domain": "127.0.0.1:8000", "name": str(settings.OSCAR_SHOP_NAME)}
        )
        # Wagtail's migrations create a default site pointing at its welcome page.
        WagtailSite.objects.filter(is_default_site=True).update(
            hostname="127.0.0.1", port=8000, site_name=str(settings.WAGTAIL_SITE_NAME)
        )

    def create_country(self):
        # Checkout only offers shipping countries, and a fresh database has none.
        country, _created = Country.objects.update_or_create(
            iso_3166_1_a2="RU",
            defaults={
                "iso_3166_1_a3": "RUS",
                "iso_3166_1_numeric": "643",
                "printable_name": "Russia",
                "name": "Russian Federation",
                "is_shipping_country": True,
            },
        )
        return country

    # --- Catalogue ---------------------------------------------------------

    def create_catalogue(self):
        partner, _created = Partner.objects.get_or_create(name=data.PARTNER_NAME)
        classes = {
            name: ProductClass.objects.get_or_create(
                name=name, defaults={"requires_shipping": True, "track_stock": True}
            )[0]
            for name in data.PRODUCT_CLASSES
        }
        products = {}
        for spec in data.PRODUCTS:
            product, _created = Product.objects.update_or_create(
                upc=spec.upc,
                defaults={
                    "title": spec.title,
                    "description": spec.description,
                    "product_class": classes[spec.product_class],
                    "structure": Product.STANDALONE,
                    "is_public": True,
                },
            )
            category = create_from_breadcrumbs(spec.category)
            ProductCategory.objects.get_or_create(product=product, category=category)
            StockRecord.objects.update_or_create(
                product=product,
                partner=partner,
                defaults={
                    "partner_sku": f"VW-{spec.upc}",
                    "price_currency": settings.OSCAR_DEFAULT_CURRENCY,
                    "price": spec.price,
                },
                # Orders move the stock levels; a re-run must not reset them.
                create_defaults={
                    "partner_sku": f"VW-{spec.upc}",
                    "price_currency": settings.OSCAR_DEFAULT_CURRENCY,
                    "price": spec.price,
                    "num_in_stock": spec.num_in_stock,
                },
            )
            products[spec.upc] = product
        return products

    def assign_margin_groups(self, products):
        groups = {group.code: group for group in MarginGroup.objects.all()}
        for spec in data.MARGIN_ASSIGNMENTS:
            if spec.upc:
                target = {"product": products[spec.upc]}
            elif spec.category:
                target = {"category": create_from_breadcrumbs(spec.category)}
            else:
                target = {"product_class": ProductClass.objects.get(name=spec.product_class)}
            MarginGroupAssignment.objects.update_or_create(**target, defaults={"group": groups[spec.group]})

    # --- People ------------------------------------------------------------

    def create_admin(self):
        admin, _created = get_user_model().objects.get_or_create(username=data.ADMIN_USERNAME)
        admin.email = data.ADMIN_EMAIL
        admin.first_name = "Shop"
        admin.last_name = "Manager"
        admin.is_staff = admin.is_superuser = admin.is_active = True
        admin.set_password(data.ADMIN_PASSWORD)
        admin.save()
        return admin

    def create_exchange_user(self):
        """The accounting system's exchange login: nothing but the exchange permission."""
        from django.contrib.auth.models import Permission

        user, _created = get_user_model().objects.get_or_create(username=EXCHANGE_USERNAME)
        user.is_staff = user.is_superuser = False
        user.is_active = True
        user.set_password(EXCHANGE_PASSWORD)
        user.save()
        permission = Permission.objects.get(codename="exchange_orders", content_type__app_label="erp_sync")
        user.user_permissions.add(permission)
        return user

    def mark_erp_products(self, products):
        """Every other product came from the accounting system's catalogue: its id there goes out with orders."""
        for upc in sorted(products)[::2]:
            product = products[upc]
            attribute, _created = ProductAttribute.objects.get_or_create(
                product_class=product.product_class, code="erp_id", defaults={"name": "ERP id", "type": "text"}
            )
            ProductAttributeValue.objects.update_or_create(
                product=product, attribute=attribute, defaults={"value_text": f"1c-{upc}"}
            )

    def create_customer(self, spec, country):
        user, _created = get_user_model().objects.get_or_create(username=spec.username)
        user.email = spec.email
        user.first_name = spec.first_name
        user.last_name = spec.last_name
        user.is_active = True
        user.set_password(data.CUSTOMER_PASSWORD)
        user.save()
        if not UserAddress.objects.filter(user=user).exists():
            UserAddress.objects.create(
                user=user,
                is_default_for_shipping=True,
                is_default_for_billing=True,
                country=country,
                **self.address_fields(spec),
            )
        return user

    def address_fields(self, spec):
        return {
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "line1": spec.line1,
            "line4": spec.city,
            "postcode": spec.postcode,
            "phone_number": spec.phone_number,
        }

    # --- Orders ------------------------------------------------------------

    def place_order(self, spec, user, customer, country, products, now):
        order = Order.objects.filter(number=spec.number).first()
        if order is not None:
            return order
        placed_at = now - timedelta(days=spec.days_ago)
        with transaction.atomic():
            basket = Basket.objects.create(owner=user)
            basket.strategy = Selector().strategy(user=user)
            for upc, quantity in spec.lines:
                basket.add_product(products[upc], quantity)
            shipping_method = Free()
            shipping_charge = shipping_method.calculate(basket)
            surcharges = SurchargeApplicator().get_applicable_surcharges(basket)
            total = OrderTotalCalculator().calculate(basket, shipping_charge, surcharges)
            shipping_address = ShippingAddress.objects.create(country=country, **self.address_fields(customer))
            order = OrderCreator().place_order(
                basket=basket,
                total=total,
                shipping_method=shipping_method,
                shipping_charge=shipping_charge,
                surcharges=surcharges,
                user=user,
                shipping_address=shipping_address,
                order_number=spec.number,
            )
            basket.set_as_submitted()
            # Written directly rather than with set_status(): this is history,
            # and the status-change receivers are for orders moving now.
            Order.objects.filter(pk=order.pk).update(date_placed=placed_at, status=spec.status)
            order.lines.update(status=spec.status)
            Basket.objects.filter(pk=basket.pk).update(date_created=placed_at, date_submitted=placed_at)
            for line in order.lines.select_related("stockrecord"):
                if spec.status == data.COMPLETE:
                    line.stockrecord.consume_allocation(line.quantity)
                elif spec.status == data.CANCELLED:
                    line.stockrecord.cancel_allocation(line.quantity)
            if spec.status != data.CANCELLED:
                self.record_payment(order, spec)
            order.refresh_from_db()
        return order

    def record_payment(self, order, spec):
        # The earning layer finds what was paid with points by this source type.
        paid_with_points = spec.redeemed * loyalty_settings.POINT_VALUE
        card, _created = SourceType.objects.get_or_create(name="Bank card")
        paid_by_card = order.total_incl_tax - paid_with_points
        Source.objects.create(
            order=order,
            source_type=card,
            currency=order.currency,
            amount_allocated=paid_by_card,
            amount_debited=paid_by_card if spec.status == data.COMPLETE else Decimal("0.00"),
            reference=f"card-{order.number}",
        )
        if paid_with_points:
            points, _created = SourceType.objects.get_or_create(name=loyalty_settings.POINTS_SOURCE_TYPE)
            Source.objects.create(
                order=order,
                source_type=points,
                currency=order.currency,
                amount_allocated=paid_with_points,
                amount_debited=paid_with_points,
                reference=f"points-{order.number}",
            )

    # --- Points ------------------------------------------------------------

    def record_points(self, customers, orders, admin, now):
        """Replay each customer's point history in date order, each step dated when it happened.

        The ledger settles an account (activating and expiring its lots) as of
        each operation's ``now``, and an order earns at the tier in effect
        that day, so a replay in date order leaves every lot and every tier
        where the real history would have.
        """
        for spec in data.CUSTOMERS:
            user = customers[spec.email]
            operations = []
            for order_spec in data.ORDERS:
                if order_spec.email == spec.email:
                    operations += self.order_operations(user, order_spec, orders[order_spec.number])
            operations.append(self.adjustment_operation(user, spec, admin, now))
            for when, operation in sorted(operations, key=lambda item: item[0]):
                operation(when)
        # What the beat tasks would have done by now.
        activate_matured_lots(now=now)
        expire_lots(now=now)

    def order_operations(self, user, spec, order):
        """The order's steps as (when, operation) pairs: checkout, then delivery or cancellation."""
        placed_at = order.date_placed
        key = f"demo:{order.number}:checkout"
        operations = []
        if spec.redeemed:
            # Checkout holds the points, then spends them once the order exists.
            operations.append(
                (
                    placed_at - timedelta(minutes=2),
                    lambda when: capture(
                        reserve(user, spec.redeemed, key=key, order_number=order.number, now=when),
                        now=when + timedelta(minutes=2),
                    ),
                )
            )
        if spec.released:
            # Held for an order that is cancelled below: the cancellation gives them back.
            operations.append(
                (
                    placed_at - timedelta(minutes=2),
                    lambda when: reserve(user, spec.released, key=key, order_number=order.number, now=when),
                )
            )
        if spec.status == data.COMPLETE:
            operations.append(
                (
                    placed_at + timedelta(days=data.DELIVERY_DAYS),
                    lambda when: services.accrue_for_order(order, now=when),
                )
            )
        elif spec.status == data.CANCELLED:
            operations.append(
                (
                    placed_at + timedelta(hours=data.CANCELLATION_HOURS),
                    lambda when: services.reverse_for_order(
                        order,
                        reason=_("Order %(number)s: %(status)s") % {"number": order.number, "status": spec.status},
                        now=when,
                    ),
                )
            )
        return operations

    def adjustment_operation(self, user, spec, admin, now):
        adjustment = spec.adjustment
        return (
            now - timedelta(days=adjustment.days_ago),
            lambda when: adjust(
                user,
                adjustment.points,
                key=f"demo:{user.email}:adjustment",
                reason=str(adjustment.reason),
                actor=admin,
                now=when,
            ),
        )

    # --- Logins ------------------------------------------------------------

    def print_logins(self, shop_url=SHOP_URL):
        write = self.stdout.write
        write("")
        write(self.style.SUCCESS(_("The demo shop: %(url)s/") % {"url": shop_url}))
        write("")
        write(
            _("Staff (dashboard %(url)s/dashboard/, Django admin %(url)s/admin/, Wagtail %(url)s/cms/):")
            % {"url": shop_url}
        )
        write(
            _("  username %(username)s, e-mail %(email)s, password %(password)s")
            % {"username": data.ADMIN_USERNAME, "email": data.ADMIN_EMAIL, "password": data.ADMIN_PASSWORD}
        )
        write(
            _(
                "Loyalty dashboard %(url)s/dashboard/loyalty/: manager %(manager)s (adjustments, settings), "
                "marketer %(marketer)s (KPIs only), password %(password)s"
            )
            % {
                "url": shop_url,
                "manager": history.MANAGER_USERNAME,
                "marketer": history.MARKETER_USERNAME,
                "password": history.STAFF_PASSWORD,
            }
        )
        write(
            _(
                "Accounting system (1C) exchange at %(url)s/erp/exchange/: user %(username)s, password %(password)s "
                "(try: python -m erp_sync.client --url %(url)s/erp/exchange/ --user %(username)s "
                "--password %(password)s --paid)"
            )
            % {"url": shop_url, "username": EXCHANGE_USERNAME, "password": EXCHANGE_PASSWORD}
        )
        write("")
        write(_("Customers (sign in at %(url)s/accounts/login/ with the e-mail address):") % {"url": shop_url})
        reference = Product.objects.filter(upc=data.REFERENCE_UPC).first()
        users = {
            user.email: user
            for user in get_user_model().objects.filter(email__in=[spec.email for spec in data.CUSTOMERS])
        }
        for spec in data.CUSTOMERS:
            user = users.get(spec.email)
            if user is None:
                write(_("  %(email)s: not created yet, run loyalty_demo_data first") % {"email": spec.email})
                continue
            now = timezone.now()
            tier = tiers.tier_for(user, now=now)
            balance = get_balance(user, now=now)
            write(
                _("  %(email)s / %(password)s: %(tier)s tier, purchases of %(volume)s")
                % {
                    "email": spec.email,
                    "password": data.CUSTOMER_PASSWORD,
                    "tier": tier.name if tier is not None else "—",
                    "volume": currency(tiers.purchase_volume(user.pk, now=now)),
                }
            )
            write(
                _(
                    "      %(available)d points available, %(pending)d pending, "
                    "%(expiring)d expiring within %(days)d days"
                )
                % {
                    "available": balance.available,
                    "pending": balance.pending,
                    "expiring": balance.expiring_soon,
                    "days": loyalty_settings.EXPIRING_SOON_DAYS,
                }
            )
            if reference is not None and tier is not None:
                write(self.reference_bonus(user, tier, reference))
        write("")

    def reference_bonus(self, user, tier, product):
        """The "+N bonuses" the customer sees on ``product``, worked out as the product page does."""
        price = Selector().strategy(user=user).fetch_for_product(product).price
        amount = price.incl_tax if price.is_tax_known else price.excl_tax
        points = upcoming_points(amount, tier.cashback_percent, margins.coefficient_for(product))
        return ngettext(
            "      +%(points)d bonus on the %(product)s (%(price)s)",
            "      +%(points)d bonuses on the %(product)s (%(price)s)",
            points,
        ) % {"points": points, "product": product.title, "price": currency(amount)}
