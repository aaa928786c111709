"""The demo's program pages, in English and Russian: StreamField data an editor could have entered.

Figures the program's settings decide (hold and expiry periods, what a bonus is
worth) are written in when the pages are created, as an editor would type
them; the tier table and the calculator read theirs live.
"""

from oscar.templatetags.currency_filters import currency

from oscar_loyalty.settings import loyalty_settings
from wagtail_pages.texts import PointNames

TEXTS = {
    "en": {"program_name": "Velo Bonus", "one": "bonus", "few": "", "many": "bonuses"},
    "ru": {"program_name": "Вело Бонус", "one": "бонус", "few": "бонуса", "many": "бонусов"},
}

DAYS = {"en": PointNames("en", "day", "", "days"), "ru": PointNames("ru", "день", "дня", "дней")}


def _days(language, count):
    return f"{count}\u00a0{DAYS[language].for_count(count)}"


def _figures(language):
    return {
        "hold": _days(language, loyalty_settings.HOLD_DAYS),
        "expiry": _days(language, loyalty_settings.EXPIRY_DAYS),
        "value": currency(loyalty_settings.POINT_VALUE),
        "min": currency(loyalty_settings.MIN_TO_PAY),
    }


def _text(html):
    return {"type": "text", "value": html}


def _steps(heading, steps):
    return {
        "type": "steps",
        "value": {"heading": heading, "intro": "", "steps": [{"title": t, "text": f"<p>{x}</p>"} for t, x in steps]},
    }


def _faq(heading, questions):
    return {
        "type": "faq",
        "value": {
            "heading": heading,
            "intro": "",
            "questions": [{"question": q, "answer": f"<p>{a}</p>"} for q, a in questions],
        },
    }


def _block(kind, heading, intro, **extra):
    return {"type": kind, "value": {"heading": heading, "intro": f"<p>{intro}</p>" if intro else "", **extra}}


def _cta(heading, intro):
    return _block("call_to_action", heading, intro, signup_label="", member_label="")


def _link(page, text):
    return f'<a linktype="page" id="{page.pk}">{text}</a>'


def landing(language, rules_page=None):
    """Title, introduction and blocks of the landing page; ``rules_page`` is linked to once it exists."""
    f = _figures(language)
    if language == "ru":
        rules_link = _link(rules_page, "правилах программы") if rules_page else "правилах программы"
        return {
            "title": "Бонусная программа",
            "intro": f"<p>Каждая покупка возвращается бонусами. Один бонус — это {f['value']} скидки "
            "на следующие заказы.</p>",
            "body": [
                _steps(
                    "Как это работает",
                    [
                        (
                            "Зарегистрируйтесь",
                            "Бонусный счёт открывается вместе с личным кабинетом — карту носить не нужно.",
                        ),
                        (
                            "Покупайте",
                            "Каждый выполненный заказ приносит бонусы: процент от оплаченной суммы по вашему статусу.",
                        ),
                        (
                            f"Подождите {f['hold']}",
                            f"Бонусы становятся доступны через {f['hold']} после выполнения заказа — "
                            "это срок для возврата.",
                        ),
                        ("Оплачивайте бонусами", "При оформлении заказа оплатите бонусами его часть."),
                    ],
                ),
                _block(
                    "tier_table",
                    "Статусы карты",
                    "Чем больше покупок, тем выше статус и тем больше кешбэк. Статус растёт сам, без доплат.",
                ),
                _block(
                    "calculator",
                    "Сколько бонусов я получу?",
                    "Введите сумму покупки и выберите статус: расчёт тот же, что рядом с ценами в магазине.",
                ),
                _text(
                    "<h2>Где мои бонусы</h2><p>Баланс, бонусы в ожидании и даты сгорания — в личном кабинете, "
                    f"в разделе «Мои бонусы». Все условия — в {rules_link}.</p>"
                ),
                _faq(
                    "Частые вопросы",
                    [
                        (
                            "Сколько стоит участие?",
                            "Ничего: участником становится каждый зарегистрированный покупатель.",
                        ),
                        (
                            "Начисляются ли бонусы на доставку?",
                            "Нет, бонусы начисляются только на оплаченную стоимость товаров.",
                        ),
                        ("Сгорают ли бонусы?", f"Да, через {f['expiry']} после начисления. Мы напомним заранее."),
                    ],
                ),
                _cta("Вступайте в программу", "Регистрация займёт минуту, а бонусы принесёт уже первый заказ."),
            ],
        }
    rules_link = _link(rules_page, "program rules") if rules_page else "program rules"
    return {
        "title": "Bonus program",
        "intro": f"<p>Every purchase comes back as bonuses. Each bonus takes {f['value']} off your next orders.</p>",
        "body": [
            _steps(
                "How it works",
                [
                    ("Sign up", "Your bonus account opens with your customer account: there is no card to carry."),
                    ("Shop", "Every completed order earns bonuses: a percentage of what you paid, set by your tier."),
                    (
                        f"Wait {f['hold']}",
                        f"Bonuses become available {f['hold']} after the order is complete: the time for returns.",
                    ),
                    ("Pay with bonuses", "At checkout, pay part of your order with your bonuses."),
                ],
            ),
            _block(
                "tier_table",
                "Tiers",
                "The more you buy, the higher your tier and the more comes back. Tiers rise by themselves, free.",
            ),
            _block(
                "calculator",
                "How many bonuses will I earn?",
                "Enter a purchase amount and pick a tier: the same calculation as next to the shop's prices.",
            ),
            _text(
                "<h2>Where are my bonuses?</h2><p>Your balance, pending bonuses and expiry dates are in your "
                f"account, under “My bonuses”. Every detail is in the {rules_link}.</p>"
            ),
            _faq(
                "Questions",
                [
                    ("What does it cost?", "Nothing: every customer with an account is a member."),
                    ("Does shipping earn bonuses?", "No, only what you pay for the goods earns bonuses."),
                    ("Do bonuses expire?", f"Yes, {f['expiry']} after they are credited. We remind you beforehand."),
                ],
            ),
            _cta("Join the program", "Signing up takes a minute, and your very first order earns bonuses."),
        ],
    }


def rules(language):
    """Title, introduction and blocks of the rules page."""
    f = _figures(language)
    if language == "ru":
        min_to_pay = f" Деньгами нужно оплатить не меньше {f['min']} заказа." if loyalty_settings.MIN_TO_PAY > 0 else ""
        return {
            "title": "Правила программы",
            "intro": "<p>Правила описывают, как начисляются, списываются и сгорают бонусы. Они действуют "
            "для каждого покупателя с личным кабинетом в магазине.</p>",
            "body": [
                _text(
                    "<h2>1. Участие</h2><p>Участник программы — каждый зарегистрированный покупатель. "
                    "Бонусный счёт открывается вместе с личным кабинетом.</p>"
                ),
                _text(
                    "<h2>2. Начисление</h2><p>За каждую позицию заказа начисляется: оплаченная сумма × процент "
                    "кешбэка вашего статуса × коэффициент группы маржинальности товара, с округлением вниз до "
                    "целого бонуса. Доставка, часть заказа, оплаченная бонусами, и товары по акции бонусов не "
                    "приносят.</p><p>Бонусы начисляются, когда заказ выполнен, и становятся доступны для "
                    f"списания через {f['hold']}.</p>"
                ),
                _block(
                    "tier_table",
                    "3. Статусы",
                    "Статус зависит от суммы оплаченных покупок за вычетом возвратов. Новый статус действует "
                    "с заказа, который достиг порога.",
                ),
                _block(
                    "calculator",
                    "Проверьте расчёт",
                    "Сумма покупки, статус и группа товара — и вы увидите, сколько бонусов она принесёт.",
                ),
                _text(
                    "<h2>4. Оплата бонусами</h2><p>При оформлении заказа бонусами можно оплатить его часть — "
                    f"до доли, указанной для вашего статуса в таблице выше. Один бонус равен {f['value']}."
                    f"{min_to_pay}</p>"
                ),
                _text(
                    f"<h2>5. Сгорание</h2><p>Бонусы сгорают через {f['expiry']} после начисления. "
                    "Перед сгоранием мы присылаем напоминание.</p>"
                ),
                _text(
                    "<h2>6. Отмена и возврат</h2><p>При отмене заказа или возврате товара начисленные за него "
                    "бонусы списываются, а потраченные на него — возвращаются на бонусный счёт.</p>"
                ),
                _faq(
                    "Вопросы о правилах",
                    [
                        (
                            "Почему бонусы «в ожидании»?",
                            f"Бонусы за заказ становятся доступны через {f['hold']} — после окончания срока возврата.",
                        ),
                        (
                            "Может ли статус понизиться?",
                            "Статус пересчитывается при возврате и отмене заказов: если сумма покупок опустится "
                            "ниже порога, статус понизится.",
                        ),
                        (
                            "Можно ли оплатить бонусами весь заказ?",
                            "Нет, только часть — до доли вашего статуса.",
                        ),
                    ],
                ),
                _cta("Начните копить бонусы", "Зарегистрируйтесь — и первый же заказ принесёт бонусы."),
            ],
        }
    min_to_pay = f" The order must still cost at least {f['min']} in money." if loyalty_settings.MIN_TO_PAY > 0 else ""
    return {
        "title": "Program rules",
        "intro": "<p>These rules describe how bonuses are earned, spent and expire. They apply to every "
        "customer with an account in the shop.</p>",
        "body": [
            _text(
                "<h2>1. Membership</h2><p>Every customer with an account is a member of the program. The bonus "
                "account opens with the customer account.</p>"
            ),
            _text(
                "<h2>2. Earning</h2><p>Each order line earns: the amount paid for it × your tier's cashback "
                "percentage × the coefficient of the product's margin group, rounded down to a whole bonus. "
                "Shipping, the part of an order paid with bonuses and goods on special offer earn nothing.</p>"
                f"<p>Bonuses are credited when the order is complete and can be spent {f['hold']} later.</p>"
            ),
            _block(
                "tier_table",
                "3. Tiers",
                "Your tier follows your paid purchases, less returns. A new tier applies from the order that "
                "reaches its threshold.",
            ),
            _block(
                "calculator",
                "Check the calculation",
                "A purchase amount, a tier and a product group: see how many bonuses it earns.",
            ),
            _text(
                "<h2>4. Paying with bonuses</h2><p>At checkout, bonuses can pay for part of an order, up to the "
                f"share of your tier in the table above. Each bonus is worth {f['value']}.{min_to_pay}</p>"
            ),
            _text(
                f"<h2>5. Expiry</h2><p>Bonuses expire {f['expiry']} after they are credited. We send a reminder "
                "before they do.</p>"
            ),
            _text(
                "<h2>6. Cancellations and returns</h2><p>When an order is cancelled or goods are returned, the "
                "bonuses it earned are taken back and the bonuses spent on it return to your account.</p>"
            ),
            _faq(
                "Questions about the rules",
                [
                    (
                        "Why are my bonuses pending?",
                        f"An order's bonuses become available {f['hold']} after it is complete, once the returns "
                        "window has passed.",
                    ),
                    (
                        "Can my tier go down?",
                        "Your tier is recalculated when orders are returned or cancelled: if your purchases fall "
                        "below the threshold, so does your tier.",
                    ),
                    ("Can bonuses pay for a whole order?", "No, only for part of it, up to your tier's share."),
                ],
            ),
            _cta("Start collecting bonuses", "Sign up, and your very first order earns bonuses."),
        ],
    }
