"""Manufacturer programs: point codes on vouchers, dealers' cabinets, volume bonuses.

- :mod:`.format`: what a code looks like (pure: generate, check character, normalise, keyed hash);
- :mod:`.services`: the public API, registration and dealers' requests; points go through the ledger;
- :mod:`.batches`: staff's side of the API: batches, their export, revocation and reversal;
- :mod:`.exceptions`: what the API refuses, each with a message to show;
- :mod:`.volume`: the volume bonus rule (pure);
- :mod:`.reports`: what staff and dealers read about batches (counts, rates, points);
- :mod:`.printing`: the one-time export of a batch's codes, as CSV or a printable PDF;
- :mod:`.views` (customers and dealers) and :mod:`.dashboard` (staff) call the services.
"""
