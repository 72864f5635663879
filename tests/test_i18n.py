from service.i18n import translator


def test_bambara_has_one_plural_form_after_merging_catalogs():
    assert [translator("bm").plural(n) for n in (0, 1, 2, 5)] == [0, 0, 0, 0]


def test_french_treats_zero_and_one_as_singular():
    assert [translator("fr").plural(n) for n in (0, 1, 2)] == [0, 0, 1]
