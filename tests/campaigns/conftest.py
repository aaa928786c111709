from tests.display.conftest import products_per_page, search_index

__all__ = ["products_per_page", "search_index"]
