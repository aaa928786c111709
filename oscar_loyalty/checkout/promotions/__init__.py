"""Promo codes and secret codes beside points at checkout.

- :mod:`.abstract_models`: the secret codes' tables and their attempts;
- :mod:`.policy`: whether points and an Oscar voucher (promo code) may pay one order together;
- :mod:`.codes`: what a secret code looks like (pure functions: generate, normalise, hash);
- :mod:`.services`: issuing, entering, and using secret codes (the only writer of their tables);
- :mod:`.reinstated`: what a promotion brought back by a code may give (plain values for the two below);
- :mod:`.throttle`: wrong guesses per user and per address, checked and counted in one step;
- :mod:`.applicator`: Oscar's offer ``Applicator`` that brings a code's ended promotions back for its basket,
  within what the cancelled order received.

The arrows point one way: the applicator asks the services for the offers;
the services never import the applicator.
"""
