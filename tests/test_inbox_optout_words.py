"""A reply that asks to stop the SMS is understood however it is written; one that only might ask goes
to the top of the coordinators' inbox for a person to decide."""

from __future__ import annotations

import pytest

from service.inbox.optout_words import Intent, optout_intent
from service.inbox.replies import normalize_reply

OPTING_OUT = [
    "STOP",
    "stop",
    "Stop.",
    "STOP!!!",
    " stop ",
    "Stop svp",
    "STOP SVP merci",
    "Merci, stop",
    "stop stop",
    "Arrêt",
    "ARRET",
    "arret",
    "Arrête",
    "arrete svp",
    "Arrêtez",
    "ARRETEZ S'IL VOUS PLAIT",
    "Arrêter les messages",
    "Veuillez arrêter",
    "stopper",
    "Stoppez les sms",
    "Désabonner",
    "je veux me desabonner",
    "Plus de messages svp",
    "plus de sms merci",
    "Je ne veux plus recevoir de messages",
    "ne plus recevoir",
    "unsubscribe",
    "A dabila",
    "a dabila i ni ce",
    "Cikanw dabila",
    "DABILA",
    "A lajɔ",
    "a lajo",
    "Jɔ",
    "I ni ce, a jɔ",
    "STOP ci ka cikanw dabila",
]
MAYBE = ["STPO", "Sotp", "Arrett", "ARETE svp", "dabla", "Lajoo", "stoop"]
NOT_OPTING_OUT = ["1", "Oui", "OK R7K2", "Merci beaucoup", "Awɔ", "Je viendrai demain", "Bonjour", "Stock"]


@pytest.mark.parametrize("reply", OPTING_OUT)
def test_every_way_of_saying_stop_opts_out(reply, settings):
    assert optout_intent(normalize_reply(reply), settings) is Intent.OPTOUT


@pytest.mark.parametrize("reply", MAYBE)
def test_a_near_miss_is_a_possible_opt_out(reply, settings):
    assert optout_intent(normalize_reply(reply), settings) is Intent.POSSIBLE_OPTOUT


@pytest.mark.parametrize("reply", NOT_OPTING_OUT)
def test_other_replies_say_nothing_about_stopping(reply, settings):
    assert optout_intent(normalize_reply(reply), settings) is Intent.NONE


def test_the_table_holds_thirty_real_phrasings_at_least():
    assert len(set(OPTING_OUT)) >= 30
