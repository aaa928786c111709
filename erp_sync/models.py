from oscar.core.loading import is_model_registered

from erp_sync.exchange.abstract_models import (
    AbstractExchangeDocument,
    AbstractExchangeEvent,
    AbstractExchangeFile,
    AbstractExchangeSession,
    AbstractExportMarker,
    AbstractOrderErpState,
)
from erp_sync.exchange.catalogue.abstract_models import (
    AbstractCatalogueImport,
    AbstractErpCategory,
    AbstractErpPriceType,
    AbstractErpProduct,
)
from erp_sync.soap.abstract_models import (
    AbstractErpChange,
    AbstractErpCursor,
    AbstractOutboxMessage,
    AbstractReconciliationLine,
    AbstractReconciliationRun,
)

__all__ = []

# --- CommerceML exchange ------------------------------------------------------

if not is_model_registered("erp_sync", "ExchangeSession"):

    class ExchangeSession(AbstractExchangeSession):
        pass

    __all__.append("ExchangeSession")

if not is_model_registered("erp_sync", "ExportMarker"):

    class ExportMarker(AbstractExportMarker):
        pass

    __all__.append("ExportMarker")

if not is_model_registered("erp_sync", "ExchangeEvent"):

    class ExchangeEvent(AbstractExchangeEvent):
        pass

    __all__.append("ExchangeEvent")

if not is_model_registered("erp_sync", "ExchangeFile"):

    class ExchangeFile(AbstractExchangeFile):
        pass

    __all__.append("ExchangeFile")

if not is_model_registered("erp_sync", "ExchangeDocument"):

    class ExchangeDocument(AbstractExchangeDocument):
        pass

    __all__.append("ExchangeDocument")

if not is_model_registered("erp_sync", "OrderErpState"):

    class OrderErpState(AbstractOrderErpState):
        pass

    __all__.append("OrderErpState")

# --- Catalogue from the accounting system ----------------------------------------

if not is_model_registered("erp_sync", "CatalogueImport"):

    class CatalogueImport(AbstractCatalogueImport):
        pass

    __all__.append("CatalogueImport")

if not is_model_registered("erp_sync", "ErpProduct"):

    class ErpProduct(AbstractErpProduct):
        pass

    __all__.append("ErpProduct")

if not is_model_registered("erp_sync", "ErpCategory"):

    class ErpCategory(AbstractErpCategory):
        pass

    __all__.append("ErpCategory")

if not is_model_registered("erp_sync", "ErpPriceType"):

    class ErpPriceType(AbstractErpPriceType):
        pass

    __all__.append("ErpPriceType")

# --- Bonus balances over SOAP ---------------------------------------------------

if not is_model_registered("erp_sync", "OutboxMessage"):

    class OutboxMessage(AbstractOutboxMessage):
        pass

    __all__.append("OutboxMessage")

if not is_model_registered("erp_sync", "ErpChange"):

    class ErpChange(AbstractErpChange):
        pass

    __all__.append("ErpChange")

if not is_model_registered("erp_sync", "ErpCursor"):

    class ErpCursor(AbstractErpCursor):
        pass

    __all__.append("ErpCursor")

if not is_model_registered("erp_sync", "ReconciliationRun"):

    class ReconciliationRun(AbstractReconciliationRun):
        pass

    __all__.append("ReconciliationRun")

if not is_model_registered("erp_sync", "ReconciliationLine"):

    class ReconciliationLine(AbstractReconciliationLine):
        pass

    __all__.append("ReconciliationLine")
