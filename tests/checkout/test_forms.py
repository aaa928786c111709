import pytest

from oscar_loyalty.checkout.forms import PointsForm


def form(data, *, available=500, max_points=200):
    return PointsForm(data, available=available, max_points=max_points)


@pytest.mark.parametrize(
    ("points", "expected"),
    [("", 0), ("0", 0), ("150", 150), (" 200 ", 200), ("100.0", 100)],
)
def test_whole_numbers_within_the_limits_are_accepted(points, expected):
    bound = form({"points": points})
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["points"] == expected


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("abc", "Enter the number of points as a whole number, e.g. 150."),
        ("1e5", "Enter the number of points as a whole number, e.g. 150."),
        ("NaN", "Enter the number of points as a whole number, e.g. 150."),
        ("-5", "The number of points cannot be negative."),
        ("1.5", "Points can only be used in whole numbers."),
        ("201", "You can use at most 200 points on this order."),
        ("501", "You have only 500 points available."),
    ],
)
def test_bad_amounts_are_refused_in_plain_words(points, message):
    bound = form({"points": points})
    assert not bound.is_valid()
    assert bound.errors["points"] == [message]


def test_use_maximum_takes_the_maximum_whatever_the_number_says():
    bound = form({"points": "", "use_maximum": "1"})
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["points"] == 200
