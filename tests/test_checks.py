import pytest

from rnnkit.checks import check_choice, check_probability, check_size


def test_checks_return_good_values_and_name_bad_ones():
    assert check_probability("p", 0) == 0.0 and check_size("n", 3) == 3
    assert check_choice("mode", "a", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\), got 1.0"):
        check_probability("p", 1.0)
    with pytest.raises(TypeError, match="p must be a number"):
        check_probability("p", True)
    with pytest.raises(ValueError, match="n must be >= 2, got 1"):
        check_size("n", 1, minimum=2)
    with pytest.raises(TypeError, match="n must be an int, got float"):
        check_size("n", 2.0)
    with pytest.raises(ValueError, match="mode must be one of 'a', 'b', got 'c'"):
        check_choice("mode", "c", ("a", "b"))
