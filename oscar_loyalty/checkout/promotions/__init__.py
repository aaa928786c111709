"""Promo codes and secret codes beside points at checkout.

- :mod:`.policy`: whether points and an Oscar voucher (promo code) may pay one order together;
- :mod:`.codes`: what a secret code looks like (pure functions: generate, normalise, hash);
- :mod:`.services`: issuing, entering, and using secret codes (the only writer of their tables);
- :mod:`.applicator`: Oscar's offer ``Applicator`` that brings a code's ended promotions back for its basket.
"""
