"""GSM-7: which characters fit, how SMS are counted, and the older GSM-7 spelling of Bambara and French."""

from __future__ import annotations

import pytest

from service.gsm7 import for_sms, is_gsm7, measure, non_gsm7_chars, plain_letters, to_gsm7


def test_french_letters_inside_and_outside_gsm7():
    assert is_gsm7("à é è ù ì ò É Ç ñ ü ä ö")
    assert non_gsm7_chars("Fête, ça, cœur, l’été, « oui »") == ["ê", "ç", "œ", "’", "«", "»"]


def test_bambara_takes_its_older_spelling():
    assert to_gsm7("Ɲɛnɛ bɛ kɔrɔ ŋaniya. Ɛ Ɔ") == "Nyènè bè kòrò nganiya. E O"
    assert is_gsm7(to_gsm7("I ni cɛ, dɔgɔtɔrɔ bɛ na"))


def test_french_accents_and_spaces_outside_gsm7_are_converted():
    assert to_gsm7("Fête\u00a0à l’hôpital, ça coûte 1\u202f000") == "Fete à l'hopital, ca coute 1 000"


def test_tone_marks_are_dropped():
    assert to_gsm7("kɔ̀nɔ́") == "kònò"


def test_unknown_characters_become_a_question_mark():
    assert to_gsm7("ok ✓") == "ok ?"


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "length"),
    [
        ("a" * 160, "GSM-7", 1, 160),
        ("a" * 161, "GSM-7", 2, 161),
        ("a" * 306, "GSM-7", 2, 306),
        ("a" * 307, "GSM-7", 3, 307),
        ("€" * 80, "GSM-7", 1, 160),  # extended characters count twice
        ("ɛ" * 70, "UCS-2", 1, 70),
        ("ɛ" * 71, "UCS-2", 2, 71),
        ("ɛ" * 135, "UCS-2", 3, 135),
        # A two-septet character or a surrogate pair is never split: at a part's edge it opens the next.
        ("a" * 152 + "€", "GSM-7", 1, 154),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 3, 306),  # 153 + 153 units, but 152 | 2+151 | 1
        ("a" * 153 + "€" + "a" * 151, "GSM-7", 2, 306),  # the € starts part two exactly
        ("ɛ" * 66 + "😀" + "ɛ" * 66, "UCS-2", 3, 134),  # 66 | 2+65 | 1
        ("ɛ" * 67 + "😀" + "ɛ" * 65, "UCS-2", 2, 134),
        ("😀" * 35, "UCS-2", 1, 70),
        ("😀" * 36, "UCS-2", 2, 72),  # 33 pairs fill 66 of 67 units, 3 more go in part two
    ],
)
def test_measure_counts_encoding_segments_and_length(text, encoding, segments, length):
    assert measure(text) == (measure(text).__class__(text, encoding, segments, length))


def test_for_sms_converts_only_when_asked():
    assert for_sms("Aw ni cɛ").encoding == "GSM-7" and for_sms("Aw ni cɛ").text == "Aw ni cè"
    kept = for_sms("Aw ni cɛ", convert=False)
    assert (kept.text, kept.encoding) == ("Aw ni cɛ", "UCS-2")


def test_every_spelling_of_a_word_has_the_same_plain_letters():
    assert plain_letters("A lajɔ") == plain_letters("A lajò") == plain_letters("A lajo") == "A lajo"
    assert plain_letters("ɲɛ ŋaa") == "nye ngaa"
    assert plain_letters("Arrêtez") == "Arretez"
