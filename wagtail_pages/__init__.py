"""The loyalty program's public pages as Wagtail pages."""
