"""Beat templates: the story shapes the planner trusts more than a small model.

Each beat is a paragraph the writer must produce, opened by a Telugu cue that
names the protagonist and the place, so a small base model that continues prose
well but plans poorly still writes a story with a beginning, a turn and an end.
Cues use ``{name}``, ``{place}`` and ``{companion}`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from storyengine.vocabulary import StoryType


@dataclass(frozen=True)
class Beat:
    key: str
    cue: str


_SHORT_STORY = (
    Beat("opening", "{place} దగ్గర {name} అనే వ్యక్తి ఉండేవారు."),
    Beat("desire", "{name}కి ఒక పెద్ద కోరిక ఉండేది."),
    Beat("trouble", "ఒక రోజు అనుకోని కష్టం వచ్చింది."),
    Beat("struggle", "{name} ఆ కష్టాన్ని ఎదుర్కోవడానికి ప్రయత్నించారు."),
    Beat("help", "అప్పుడు {companion} ముందుకు వచ్చారు."),
    Beat("turn", "చివరికి పరిస్థితి మారింది."),
    Beat("ending", "ఆ రోజు నుంచి {name} జీవితం కొత్తగా మొదలైంది."),
)

_FOLK_TALE = (
    Beat("opening", "అనగనగా {place} దగ్గర ఒక ఊరు ఉండేది. ఆ ఊరిలో {name} ఉండేవాడు."),
    Beat("custom", "ఆ ఊరి ప్రజలు పెద్దల మాటను గౌరవించేవారు."),
    Beat("trouble", "ఒక ఏడాది ఊరికి పెద్ద ఆపద వచ్చింది."),
    Beat("quest", "{name} ఆ ఆపదను తీర్చడానికి బయలుదేరాడు."),
    Beat("helper", "దారిలో {companion} కనిపించారు."),
    Beat("trial", "అక్కడ {name}కి ఒక పరీక్ష ఎదురైంది."),
    Beat("ending", "చివరికి ఊరంతా సంతోషంగా పండుగ చేసుకుంది."),
)

_MORAL_STORY = (
    Beat("opening", "{place} దగ్గర {name} అనే పిల్లవాడు ఉండేవాడు."),
    Beat("habit", "{name}కి ఒక చెడ్డ అలవాటు ఉండేది."),
    Beat("warning", "{companion} ఎన్నోసార్లు మంచి మాటలు చెప్పారు."),
    Beat("consequence", "ఒక రోజు ఆ అలవాటు వల్ల పెద్ద నష్టం జరిగింది."),
    Beat("lesson", "అప్పుడు {name}కి తన తప్పు అర్థమైంది."),
    Beat("change", "ఆ రోజు నుంచి {name} మారిపోయాడు."),
    Beat("moral", "ఈ కథలోని నీతి ఏమిటంటే,"),
)

_MYTHOLOGICAL = (
    Beat("opening", "పూర్వం {place} దగ్గర {name} అనే మహర్షి తపస్సు చేసేవారు."),
    Beat("devotion", "ఆయన భక్తికి దేవతలు కూడా ఆశ్చర్యపోయారు."),
    Beat("trouble", "ఒకనాడు ఒక రాక్షసుడు ఆ ప్రాంతానికి వచ్చాడు."),
    Beat("prayer", "{name} భగవంతుడిని ప్రార్థించారు."),
    Beat("miracle", "అప్పుడు ఒక అద్భుతం జరిగింది."),
    Beat("ending", "అప్పటి నుంచి ఆ చోటు పుణ్యక్షేత్రంగా పేరు పొందింది."),
)

_CHILDREN_STORY = (
    Beat("opening", "{place} దగ్గర {name} అనే చిన్నారి ఉండేది."),
    Beat("friend", "{name}కి {companion} అంటే చాలా ఇష్టం."),
    Beat("adventure", "ఒక రోజు వాళ్ళిద్దరూ ఆడుకుంటూ దూరం వెళ్ళిపోయారు."),
    Beat("worry", "చీకటి పడుతుంటే {name}కి భయం వేసింది."),
    Beat("courage", "కానీ {name} ధైర్యం తెచ్చుకుంది."),
    Beat("ending", "ఇంటికి చేరగానే అమ్మ {name}ని గట్టిగా హత్తుకుంది."),
)

_HISTORICAL = (
    Beat("opening", "కొన్ని వందల ఏళ్ల క్రితం {place} ఒక గొప్ప రాజ్యంగా ఉండేది."),
    Beat("hero", "ఆ రాజ్యంలో {name} అనే సైనికుడు ఉండేవాడు."),
    Beat("threat", "ఒక రోజు శత్రువులు దండెత్తి వచ్చారు."),
    Beat("council", "{companion} {name}కి ఒక ఉపాయం చెప్పారు."),
    Beat("battle", "ఆ రాత్రి {name} తన వాళ్ళతో కలిసి ముందుకు కదిలాడు."),
    Beat("ending", "ప్రజలు {name} పేరును ఈ రోజుకీ గుర్తుంచుకుంటారు."),
)

_POEM = (
    Beat("image", "{place} ఒడ్డున వెన్నెల కురిసింది,"),
    Beat("person", "{name} మనసులో పాట పుట్టింది,"),
    Beat("feeling", "గుండెలో ఏదో తెలియని భావం,"),
    Beat("turn", "కాలం మారినా మాట మారదు,"),
    Beat("close", "చివరికి మిగిలేది ప్రేమ ఒక్కటే,"),
)

BEATS: dict[str, tuple[Beat, ...]] = {
    StoryType.SHORT_STORY: _SHORT_STORY,
    StoryType.FOLK_TALE: _FOLK_TALE,
    StoryType.MORAL_STORY: _MORAL_STORY,
    StoryType.MYTHOLOGICAL: _MYTHOLOGICAL,
    StoryType.CHILDREN_STORY: _CHILDREN_STORY,
    StoryType.HISTORICAL: _HISTORICAL,
    StoryType.POEM: _POEM,
}

# Opening cues for paragraphs past the template, when the target length needs more.
CONTINUATION_CUES = (
    "ఆ తర్వాత",
    "కొన్ని రోజులు గడిచాయి.",
    "అదే సమయంలో",
    "అప్పుడు",
    "మరుసటి రోజు ఉదయం",
)


def beats_for(story_type: str) -> tuple[Beat, ...]:
    return BEATS.get(story_type, _SHORT_STORY)

# The grammatical gender the cues of a story type assume for the protagonist;
# None means the cues use the respectful plural, which fits any name.
PROTAGONIST_GENDER: dict[str, str | None] = {
    StoryType.SHORT_STORY: None,
    StoryType.FOLK_TALE: "male",
    StoryType.MORAL_STORY: "male",
    StoryType.MYTHOLOGICAL: "male",
    StoryType.CHILDREN_STORY: "female",
    StoryType.HISTORICAL: "male",
    StoryType.POEM: None,
}
