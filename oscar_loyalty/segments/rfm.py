"""RFM scoring: pure functions from a customer's place among all customers to a named segment.

Each customer with paid purchases gets three scores from 1 to 5, their
quintile among all such customers:

- **recency**: how recently they last bought (5 = most recent fifth);
- **frequency**: how many paid purchases (5 = the fifth who buy most often);
- **monetary**: how much they paid, less returns (5 = the fifth who spend most).

A quintile comes from the customer's percent rank (0 for the lowest, 1 for
the highest; ties share the lowest rank, so the many one-time buyers all
score 1 for frequency, not a spread of 1 to 3).

The segment is named by the recency and frequency scores (the monetary score
is kept for the dashboard and for rules):

=========  ===============  ===============  ===============  ===============  ===============
R \\ F     1                2                3                4                5
=========  ===============  ===============  ===============  ===============  ===============
5          new              potential        potential        champions        champions
4          promising        potential        potential        loyal            loyal
3          about to sleep   about to sleep   need attention   loyal            loyal
2          sleeping         sleeping         at risk          at risk          can't lose them
1          sleeping         sleeping         at risk          at risk          can't lose them
=========  ===============  ===============  ===============  ===============  ===============

("potential" is "potential loyalists".)
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

CHAMPIONS = "champions"
LOYAL = "loyal"
POTENTIAL_LOYALISTS = "potential_loyalists"
NEW = "new"
PROMISING = "promising"
NEED_ATTENTION = "need_attention"
ABOUT_TO_SLEEP = "about_to_sleep"
AT_RISK = "at_risk"
CANT_LOSE = "cant_lose"
SLEEPING = "sleeping"

#: The segments' codes and names, best customers first.
SEGMENTS = {
    CHAMPIONS: _("Champions"),
    LOYAL: _("Loyal"),
    POTENTIAL_LOYALISTS: _("Potential loyalists"),
    NEW: _("New"),
    PROMISING: _("Promising"),
    NEED_ATTENTION: _("Need attention"),
    ABOUT_TO_SLEEP: _("About to sleep"),
    AT_RISK: _("At risk"),
    CANT_LOSE: _("Can't lose them"),
    SLEEPING: _("Sleeping"),
}

#: Row = recency score 5..1, column = frequency score 1..5; the table in the module's docstring.
RF_TABLE = {
    5: (NEW, POTENTIAL_LOYALISTS, POTENTIAL_LOYALISTS, CHAMPIONS, CHAMPIONS),
    4: (PROMISING, POTENTIAL_LOYALISTS, POTENTIAL_LOYALISTS, LOYAL, LOYAL),
    3: (ABOUT_TO_SLEEP, ABOUT_TO_SLEEP, NEED_ATTENTION, LOYAL, LOYAL),
    2: (SLEEPING, SLEEPING, AT_RISK, AT_RISK, CANT_LOSE),
    1: (SLEEPING, SLEEPING, AT_RISK, AT_RISK, CANT_LOSE),
}


def quintile(percent_rank):
    """The score 1..5 of a percent rank in [0, 1]: 0 up to 0.2 (excluded) is 1, 0.8 and above is 5."""
    rank = Decimal(str(percent_rank))
    if rank < 0 or rank > 1:
        raise ValueError(f"A percent rank is between 0 and 1, not {percent_rank}.")
    return min(5, 1 + int(rank * 5))


def segment_for(recency, frequency):
    """The code of the segment a customer with these recency and frequency scores belongs to."""
    if recency not in RF_TABLE or not 1 <= frequency <= 5:
        raise ValueError(f"RFM scores are 1 to 5, not R={recency} F={frequency}.")
    return RF_TABLE[recency][frequency - 1]


def label(code):
    """The translated name of an RFM segment's code, or the code itself."""
    return SEGMENTS.get(code, code)
