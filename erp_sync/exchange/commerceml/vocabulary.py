"""The words of CommerceML 2.x the exchange reads and writes."""

NAMESPACE = "urn:1C.ru:commerceml_2"
ROOT = "КоммерческаяИнформация"
DELIVERY_ID = "ORDER_DELIVERY"
ORDER_OPERATION = "Заказ товара"
SELLER_ROLE = "Продавец"
SUPPORTED_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "windows-1251": "cp1251", "cp1251": "cp1251"}

TRUE_WORDS = {"true", "1", "да", "истина", "yes"}
FALSE_WORDS = {"false", "0", "нет", "ложь", "no", ""}
