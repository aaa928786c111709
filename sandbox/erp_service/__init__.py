"""A reference accounting system (a stand-in for a 1C base) that the demo shop syncs its bonus balances with."""
