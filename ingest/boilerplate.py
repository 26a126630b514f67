# ruff: noqa: E501  (regex tables read better unwrapped)
"""Named cleaning rules: which lines of an article are page furniture, and why.

The cleaner works on *lines* (paragraphs, as scrapers and HTML extraction emit them). Each rule is a
name, a pattern and the reason a user reads in the audit trail; some rules move what they remove to
a metadata field (captions, credits, authors, dateline) instead of dropping it, because captions and
credits are worth keeping as metadata but not as body text that would be chunked and searched twice.

Rules are general (patterns of how sites phrase furniture), never tied to one document: the same
rule that strips the seed's "A Section on 11/05/2017" strips any print-edition line. Furniture is
short, so every pattern has a word limit: a long paragraph that happens to mention "newsletter" is
content. Source-specific furniture that no general rule can know is ``ingest.learned``'s job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from ingest.models import Removal, normalise_text

if TYPE_CHECKING:
    from ingest.structure import Context

I = re.IGNORECASE  # noqa: E741
TAIL_LINES = 4  # how many last lines count as the end of a document for tail-only rules


@dataclass(frozen=True)
class Rule:
    """One named cleaning rule: a line matching any pattern (within ``max_words``) is removed.

    ``tail_only`` rules apply only to the last lines of a document, where sites put author bios:
    the same sentence in the middle of an article is reporting about a person.
    """

    name: str
    reason: str
    patterns: tuple[re.Pattern[str], ...]
    max_words: int = 60
    moved_to: str | None = None
    tail_only: bool = False
    min_words: int = 0
    # Speed: a rule whose patterns all need one of these (lower-case) substrings is skipped for
    # longer lines that contain none of them; most lines are content and skip most rules this way.
    keywords: tuple[str, ...] = ()
    open_end: bool = False  # only lines that end without punctuation can match
    # A further test of the match a pattern made (e.g. that a caption's trailing credit names a
    # photographer or agency), for what a regular expression cannot say clearly.
    check: Callable[[re.Match[str]], bool] | None = None

    def matches(
        self,
        line: str,
        words: int,
        from_end: int = 0,
        lower: str | None = None,
        from_start: int | None = None,
    ) -> bool:
        # An article's opening paragraph is its lead, never a sign-off: tail rules skip it even
        # in a short story whose first line is also among its last.
        if self.tail_only and (from_end >= TAIL_LINES or from_start == 0):
            return False
        if not self.min_words <= words <= self.max_words:
            return False
        if self.open_end and not line[-1:].isalnum():
            return False
        if self.keywords and words > 3:
            low = lower if lower is not None else line.lower()
            if not any(k in low for k in self.keywords):
                return False
        for p in self.patterns:
            m = p.search(line)
            if m is not None and (self.check is None or self.check(m)):
                return True
        return False


def _p(*patterns: str, flags: int = I) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, flags) for p in patterns)


_AGENCIES = (
    r"Getty Images|AFP|Reuters|AP|EPA(?:-EFE)?|CNN|Bloomberg|Shutterstock|Pool|POOL|NurPhoto|Sipa USA|"
    r"Anadolu(?: Agency)?|SOPA Images|LightRocket|USA TODAY(?: Sports| Network| NETWORK)?|Imagn(?: Images)?|"
    r"The Washington Post|The New York Times|Redux|Alamy|Xinhua|Kyodo|ZUMA(?: Press)?|Zuma(?: Press)?|"
    r"Future|AAP|PA|PA Images|PA Wire|WireImage|FilmMagic|Corbis|Polaris|Bloomberg via Getty Images"
)
_NAME = r"[A-Z][\w.'’-]*"
_PARTICLE = (
    "de|da|di|della|van|von|del|der|la|le|bin|al|el|dos|du"  # "Marco della Cava", "Ludwig van Beethoven"
)
# "Ian James reported from Kansas", "AP Sports Writer Graham Dunbar reported from Moscow": where each
# reporter filed from, a credit line at a wire story's end
_REPORTER = rf"(?-i:{_NAME}(?:\s+{_NAME}){{0,3}})"
_REPORTED_FROM = (
    rf"(?:(?:AP|Associated Press)(?: [\w]+){{0,2}} (?:writers?|reporters?)\s+)?"
    rf"{_REPORTER}(?:(?:,\s*|,? and ){_REPORTER}){{0,4}}(?:, an? [\w ]{{2,60}},)?"
    r" reported from (?-i:[A-Z])[\w.'’ ,-]{1,50}?"
)
_NAME_LINE = re.compile(rf"^{_NAME}(?:\s+(?:{_NAME}|{_PARTICLE})){{0,3}}$")
# "Allison Lampert, David Shepardson and Anshuman Tripathy": a byline listing several people.
_NAME_LIST = re.compile(
    rf"^{_NAME}(?:\s+(?:{_NAME}|{_PARTICLE})){{0,3}}"
    rf"(?:\s*(?:,|and|&|,\s*and)\s+{_NAME}(?:\s+(?:{_NAME}|{_PARTICLE})){{0,3}}){{0,7}}$"
)
_AGENCY_LINE = re.compile(
    r"^(?:the\s+)?(?:associated press|ap|reuters|afp|usa ?today(?: sports| network)?|cnn|bloomberg|"
    r"special (?:to|for) usa today(?: sports)?|opinion contributors?|staff writers?|staff reporters?|"
    r"columnists?|contributing (?:writers?|columnists?)|guest (?:columnists?|writers?|contributors?)|contributed|"
    # syndication partners whose writers' bylines USA TODAY prints over their stories (27 pages of the
    # scraped corpus); spaCy's small model does not read "The Motley Fool" as an organisation
    r"(?:the )?motley fool|reviewed(?:\.com)?)$",
    I,
)

_AGENCY_CREDIT = re.compile(rf"(?:^|\s|/)(?:{_AGENCIES})(?:/FILE|/File)?$")
_CREDIT_LEAD = re.compile(r"^(?:[^.!?]*?(?:[a-z]{3}|\b[A-Z][a-z]{2}|\d)\.[”\"’]?\s+)+")
# Capitalised words whose dot is an abbreviation's, not a sentence's end ("Gov.", "Blvd.", "Sept.")
_ABBREVIATION = frozenset(
    "sen rep gov mrs gen col sgt ave blvd pres corp bros prof rev hon adm maj cpl pvt det supt cmdr ariz "
    "calif fla ill ind mass mich minn nev okla ore tenn tex wash wis conn colo jan feb mar apr aug sept sep "
    "oct nov dec vol fig hwy pkwy rte ste inc ltd jr sr st ln".split()
)
_TIME_ZONE = frozenset("ET EDT EST PDT PST PT CT CDT CST MT MDT GMT BST UTC CET".split())
# Words that start a sentence or a clause, never a photographer's name or an agency.
_NOT_A_CREDIT_START = frozenset(
    "a an and as at but by for from he her his i if in it its of on or she so the their then there "
    "they this to we when while with you".split()
)


_CODE_PAIR = re.compile(r"[A-Z]{3}/[A-Z]{3}")


def _names_a_photographer_or_agency(m: re.Match[str]) -> bool:
    """Is the capitalised run that ends this paragraph a photo credit ("Jane Doe/AP", "Netflix")?

    Why: copy whose paragraphs end in a run-in heading ("... we'll win." KEY MATCH STATS) or in
    the first word of the next sentence ("... in Birmingham. And") ends the same way, and
    dropping such a paragraph loses real reporting. A credit is a slash-joined byline, a known
    agency, "Courtesy …"/"From …", or capitalised words that are not a possessive ("Ireland's"),
    not a lone sentence opener ("The", "And", "I") and not an all-capitals heading of three
    words or more. (A paragraph cut mid-sentence, whose next line goes on in lower case, is
    caught before this: see ``apply_rules``.)
    """
    if re.match(r"\d+\.\s", m.string):  # a numbered list's item ("3. Rocky Mountain National Park")
        return False
    ended = m.string[: m.start() + m.group(0).index(".")].split()[-1:]  # the whole word before the dot
    if ended and (
        (ended[0][:1].isupper() and ended[0].lower() in _ABBREVIATION) or ended[0] in ("feat", "vs", "etc")
    ):
        return False
    credit = _CREDIT_LEAD.sub("", m.group(0)).strip()
    words = credit.split()
    if words and (words[0] in _TIME_ZONE or words[-1] in _TIME_ZONE):
        return False
    low = credit.lower()
    if _AGENCY_CREDIT.search(credit) or low.startswith(("courtesy ", "from ")):
        return True
    if "/" in credit:
        return not _CODE_PAIR.fullmatch(credit)  # "EUR/USD" is a currency pair, not "Jane Doe/AP"
    if not words or re.search(r"['’]s$", credit) or len(credit.rstrip(".")) < 2:
        return False  # a possessive, or one letter: a sentence cut after its first letter ("… variant. T")
    first = words[0].lower()
    if first in _NOT_A_CREDIT_START and not (first == "the" and len(words) >= 2):
        return False
    return not (len(words) >= 3 and credit.isupper())


_MONTH_OR_DAY = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
)
_TS_KEY = r"last updated|last update|updated(?: on| at)?|update|first published|originally published|published(?: on| at)?|posted(?: on| at)?"
_TS_WORD = (
    r"\d{1,4}(?::\d{2})?(?:st|nd|rd|th)?|[ap]\.?m\.?|noon|midnight|[ecmp][sd]?t|gmt|bst|utc|cet|at|on|"
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|"
    r"thu(?:rs?|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
)


# "Video Ad Feedback <title> 01:48 - Source: CNN", "<title> 05:17 - Source: CNN Business": an
# embedded video's title and running time; the title is kept in metadata.videos.
_VIDEO_TAIL = re.compile(
    r"\s*\b\d{1,2}:\d{2}\s*[-–—]\s*(?i:source):\s*[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*){0,4}$"
)
_VIDEO_HEAD = re.compile(r"^video ad feedback\s*", I)


def video_title(text: str) -> str:
    """The title of a video teaser line, without the widget's words and running time."""
    return _VIDEO_TAIL.sub("", _VIDEO_HEAD.sub("", text)).strip()


RULES: tuple[Rule, ...] = (
    Rule(
        "video_teaser",
        "embedded video teaser: title, running time and source (title kept in metadata.videos)",
        _p(r"(?i:^video ad feedback\b)", _VIDEO_TAIL.pattern, flags=0),
        max_words=60,
        moved_to="videos",
        keywords=("video ad feedback", "source:"),
    ),
    Rule(
        "video_teaser",
        "a line inviting the reader to watch a video (kept in metadata.videos)",
        # "Watch the video above to learn …", "Watch full video of May 7 Apple event", "Watch the
        # monologue:", "Replay the best of Grammy night:": an imperative to the reader, about a clip
        _p(
            r"^watch\s+(?!(?:parties|party|list|lists|out|for|as|how|what|closely|over)\b)"
            r"[^.!?]{0,80}?\b(?:video|monologue|clip|footage|highlights|look at|livestream|"
            r"live stream)\b",
            r"^replay the best of\b",
            # a music video's title as its site lists it: "Luke Bryan - One Margarita (Official Music Video)"
            r"\((?:official )?(?:music|lyric) video\)\W*$",
            # a page's embed that lost its player: "Embedded content: https://cdn…/video.mp4"
            r"^embedded content:\s*\S+$",
        ),
        max_words=30,
        moved_to="videos",
        keywords=("watch", "replay", "video", "embedded content"),
    ),
    Rule(
        "caption",
        "photo/video caption or photo credit (kept once in metadata.captions)",
        _p(
            r"^(?:this|these|in this|in these)\s+(?:undated\s+|handout\s+|file\s+|aerial\s+|satellite\s+|"
            r"pool\s+)*(?:frame grab|video grab|screen ?grab|screenshot|still image|photo(?:graph)?s?|"
            r"images?|pictures?|video still)\b.{0,250}?\b(?:shows?|showing|released|provided|taken|"
            r"made available|obtained|distributed|courtesy|posted|shared)\b",
            r"\((?:AP|AFP|Reuters|Getty|EPA|Pool)[^()]{0,12}(?:Photos?|Images?|Pool)\b[^()]*\)\s*$",
            r"\(photo(?:graph)?s? (?:by|courtesy|credit)\b[^()]*\)\s*$",
            r"^\(?(?:photo|image|picture|video|graphic)s?\s*(?:credit|courtesy)?\s*:",
            r"^(?:photo|image|picture)\s+(?:by|courtesy of)\b",
            rf"\S/(?:[\w .'’&-]{{0,40}}/){{0,3}}(?:{_AGENCIES})\s*(?:\)|$|\s+[A-Z])",
            # "… Joe Amon/The Denver Post via Getty Images": a paper's photographer through an agency
            rf"\S/[A-Z][\w.'’&-]*(?: [A-Z][\w.'’&-]*){{0,5}} via (?:{_AGENCIES})\s*$",
            r"^(?:hide|show|expand|close) caption$",
            # "Firefighters battle the blaze (Image credit: Milos Bicanski/Getty Image)"
            r"\((?:image|photo|picture)s? credit:[^()]{2,100}\)\s*$",
            # an agency's name alone in the body: the credit of a picture the scrape lost
            r"^(?:CNN|AP|Reuters|AFP|Getty Images|Shutterstock|EPA)$",
            # "Tyrone Dennis CNN", "Jackie Robinson Stadium CNN": a picture's few-word caption and credit
            r"(?-i:^(?:[A-Z][\w.'’-]+\s+){1,4}(?:CNN|AP|Reuters|AFP|Getty Images|Shutterstock|Adobe Stock)$)",
        ),
        max_words=160,
        moved_to="captions",
        keywords=(
            "photo",
            "image",
            "pool",
            "/",
            "picture",
            "video",
            "graphic",
            "caption",
            "frame grab",
            "screen",
            "still",
            "cnn",
            "reuters",
            "getty",
            "shutterstock",
            "adobe stock",
            "afp",
        ),
    ),
    Rule(
        "caption",
        "photo caption ending in a photo credit (kept once in metadata.captions)",
        _p(
            # "... on March 25. Jane Doe/Agency" or "... on Tuesday. US Air Force Senior Airman Jo Doe":
            # a sentence, then a credit of capitalised words (and slashes) with no final punctuation.
            # A name may end the sentence ("… for Mark Vande Hei. NASA"); an abbreviation may not
            # ("… at 10 a.m. ET", "… Baldcypress Ln. Laurel"): see _names_a_photographer_or_agency.
            r"(?-i:(?:[a-z]{3}|\b[A-Z][a-z]{2}|(?<!\bNo\. )\d|\b[A-Z]{2,5})\.[”\"’]?\s+"
            # a photographer's name in lower case before the slash ("dusan petkovic/Adobe Stock")
            r"(?:[A-Z][\w.'’&-]*|de|da|van|von|of|the|for|[a-z][\w'’-]*(?:\s[a-z][\w'’-]*)?(?=/[A-Z]))"
            # … and a handle after it ("Twitter/cheshm_abi")
            r"(?:(?:\s+|\s*/\s*)(?:[A-Z][\w.'’&-]*|de|da|van|von|of|the|for|and|&)|/\w+$){0,9}(?<=[\w’'])$)",
        ),
        max_words=160,
        min_words=5,
        moved_to="captions",
        open_end=True,
        check=_names_a_photographer_or_agency,
    ),
    Rule(
        "dateline",
        "stand-alone dateline line (kept in metadata.dateline)",
        _p(
            r"^(?:[A-Z][\w.,'’() /-]{0,50}\s)?CNN\s?(?:Business|Sport|Travel|Style|Politics|Health)?\s*[—–-]+\s*$",
            # "KHN —", "New York CNN Buiness —": capitalised words and a dash, nothing after
            r"^(?:[A-Z][\w.'’&-]*\s+){0,4}[A-Z][\w.'’&-]*\s*[—–]\s*$",
            flags=0,
        ),
        max_words=10,
        moved_to="dateline",
    ),
    Rule(
        "timestamp",
        "stand-alone publication/update timestamp (kept in metadata.updated / published)",
        # "Updated 2:50 p.m. Monday, July 19", "Last update: 9:45 p.m. ET.", "Published 10:00 AM EDT,
        # Mon June 5, 2023 Updated 3:45 PM EDT, Tue June 6, 2023": a keyword, then only date and
        # time words; a live blog's entry time ("8:25 p.m. update:") is the entry's own heading
        _p(
            rf"^\(?(?:(?:{_TS_KEY})\s*:?\s+(?:{_TS_WORD})(?:[\s,.|/–—-]+(?:{_TS_WORD}))*[\s,.]*)+\)?\.?"
            r"(?::\s+(?:this|the) (?:story|article|post|page)\b.{0,100})?$"
        ),
        max_words=24,
        moved_to="updated",
    ),
    Rule(
        "upcoming_events",
        "site widget listing upcoming events",
        _p(r"^(?:upcoming|featured|local) events\b[\W]*$", r"^(?:events calendar|see all events)\W*$"),
        max_words=6,
    ),
    Rule(
        "print_edition",
        "print-edition placement line",
        _p(
            r"^[A-Z]{1,2}\s+Section on \d{1,2}/\d{1,2}/\d{2,4}$",
            r"^(?:this|a version of this) (?:article|story) (?:appeared|appears|will appear) in (?:the )?print\b",
            r"^(?:appeared|published) in (?:the )?print edition\b",
            r"^print edition\W*$",
        ),
        max_words=40,
    ),
    Rule(
        "newsletter_prompt",
        "newsletter / subscription prompt",
        _p(
            r"\bsign[- ]?up\b.{0,120}\b(?:newsletter|inbox|e-?mail|for free|right here|here|today|now)\b",
            r"\bnewsletter\b.{0,160}\b(?:sign[- ]?up|subscribe|inbox|delivered|for free|get it|receive)\b",
            r"\b(?:sign[- ]?up|subscribe|subscribing)\b.{0,160}\bnewsletter\b",
            r"\bsubscribe\b(?!\s+to\s+(?-i:[A-Z])|\s+to\s+separately)(?!.{0,40}\$\d+\.\d\d a month)"
            r".{0,40}\b(?:today|here|now|for \$|and save|& save)\b",
            # "Subscribe today …"; a subhead's advice, "Subscribe to fewer streaming services", stays
            r"^subscribe\b(?!\s+to\s+(?:fewer|more|less|only|just|one|two|three|several)\b)",
            # an outlet's newsletter by name: "Sign up for CNN's Royal News, a weekly dispatch …"
            r"^sign[- ]?up for (?:cnn|usa today|fox news|nbc news|npr|reuters|the guardian)['’]s\s",
            r"\b(?:in|to) your inbox\b",
            r"^(?:not a subscriber|already a subscriber|just for subscribers|subscriber exclusive)\b",
            r"\bbecom(?:e|ing) an? (?:[\w-]+ ){0,3}subscriber\b",
            r"\bsupport (?:local|our|independent) journalism\b",
            r"^support journalism\s*:",
            r"\b(?:these|this) (?:articles?|stor(?:y|ies)) (?:are|is) for [\w .]+ subscribers\b",
            r"\bthank you for supporting our journalism\b",
            # "Journalism like this takes time and resources. Please support it with a subscription here."
            r"\bplease support (?:it|us|this work|our (?:work|journalism|reporting)) (?:with|by) (?:a |buying a )?subscri",
            r"^(?:would you like to receive|get our free|join \d[\d,]* (?:readers|subscribers))\b",
            # a columnist's own: "Get my free 5-minute newsletter keeping 400,000+ people tech safe"
            r"^get my (?:free )?[\w -]{0,30}newsletter\b",
            r"^for more [\w ]{2,40}, (?:please )?subscribe\W*$",
        ),
        max_words=130,
        keywords=(
            "sign",
            "newsletter",
            "subscri",
            "inbox",
            "journalism",
            "would you like to receive",
            "get our free",
            "join ",
        ),
    ),
    Rule(
        "cookie_notice",
        "cookie / privacy / data-processing notice",
        _p(
            r"\bwe use cookies\b",
            r"\bcookies?\b.{0,80}\b(?:accept|consent|settings|policy|preferences|browser|browsing)\b",
            r"\byou agree to the (?:processing|use|storage|terms)\b",
            r"\bwe will use the (?:information|details|data) you have (?:shared|provided)\b",
            r"\bif you wish to object to the use of your data\b",
            r"^['‘]?we['’]? includes\b",
            r"\bby (?:clicking|signing up|submitting|continuing)\b.{0,80}\b(?:agree|accept|consent)\b",
        ),
        max_words=90,
        keywords=(
            "cookie",
            "you agree",
            "we will use",
            "wish to object",
            "includes",
            "by clicking",
            "by signing",
            "by submitting",
            "by continuing",
            "privacy",
            "terms of",
        ),
    ),
    Rule(
        "cookie_notice",
        "link to a privacy policy or terms of use",
        # a short line: "… according to the club's privacy notice." in a story is reporting
        _p(r"\b(?:privacy (?:policy|notice|statement)|terms of (?:use|service))\b.{0,40}$"),
        max_words=15,
    ),
    Rule(
        "author_bio",
        "editor's note introducing the author (kept in metadata.credits)",
        _p(rf"^\(?editor[’']?s[’']? note:\s+{_NAME}(?:\s+{_NAME}){{0,3}},?\s+is\s"),
        max_words=80,
        moved_to="credits",
    ),
    Rule(
        "editorial_note",
        "editor's note framing the article (series, disclosure, correction), not news",
        _p(r"^\(?editor[’']?s[’']? note\b"),
        max_words=80,
    ),
    Rule(
        "ad_feedback",
        "advertising placeholder or ad-feedback widget",
        _p(
            r"\bhow relevant is this ad to you\b",
            r"^video player was slow to load content\b",
            r"\bad froze or did not finish loading\b",
            r"^(?:advertisement|advertising|sponsored(?: content)?|paid (?:content|post)|promoted|ad)\W*$",
            r"\bstory continues below (?:the )?(?:advertisement|ad)\b",
            r"^skip (?:this )?ad\b",
            r"^(?:ad feedback|feedback on this ad)\W*$",
        ),
        max_words=80,
        keywords=(
            "relevant",
            "video player",
            "ad froze",
            "advertis",
            "sponsored",
            "paid ",
            "promoted",
            "skip",
            "feedback",
        ),
    ),
    Rule(
        "disclosure",
        "affiliate / partner / sponsorship disclosure",
        _p(
            r"\baffiliate (?:fee|commission|link|partner)s?\b",
            r"\bmay earn (?:us )?(?:a |an )?(?:small )?(?:commission|affiliate|revenue)\b",
            r"\bpurchases you make through (?:our |the )?links\b",
            r"\bis a [\w .]+ content partner offering\b",
            r"\bits content is produced independently of\b",
            r"^prices (?:were|are) accurate at the time\b",
            r"\bprices are based on research done at the time of publication\b",
            # "Chuck Saletta has no position in any of the stocks mentioned.", "… has a disclosure policy."
            r"\b(?:has|have|holds?) no (?:positions?|financial interest) in any of the (?:stocks|securities|companies) "
            r"mentioned\b",
            r"\bhas a disclosure policy\b",
            r"\bmay have (?:a )?positions? in (?:any )?(?:of )?(?:the )?(?:stocks|securities|companies) mentioned\b",
            # a fitness piece's house disclaimer: "Important note: … consult your doctor."
            r"^(?:important )?note:.{0,120}\b(?:consult|check with|talk (?:to|with)) (?:your|a) "
            r"(?:doctor|physician|health ?care (?:provider|professional))\b",
            r"\brecommendations are independently chosen\b",
            r"\b(?:coverage|work) (?:at [\w .]+ )?is (?:made possible|supported) in part by a grant\b",
        ),
        max_words=80,
        keywords=(
            "affiliate",
            "may earn",
            "purchases you make",
            "content partner",
            "produced independently",
            "prices",
            "independently chosen",
            "mentioned",
            "disclosure policy",
            "note:",
            "made possible",
            "supported in part",
        ),
    ),
    Rule(
        "read_more",
        "'read more' / related-article link",
        _p(
            r"^(?:read more|read also|also read|see also|related|related (?:stories|articles|coverage|content|"
            r"links|reading)|more from [\w .]{1,40}|more on this(?: story)?|more|further reading|"
            r"recommended(?: reading| stories| for you)?|read next|what to read next|don['’]?t miss|"
            r"must read|trending(?: now)?|most popular|most read|more stories|more news|latest news|"
            r"top stories|you may also like|you might also like|keep reading|continue reading|"
            r"also in the news|more news to know now|in other news|what['’]s trending|"
            r"other stories|more coverage(?: (?:by|from) [\w .]{1,40})?|more to read|dig deeper(?: into [\w .'’-]{2,40})?|go deeper|"
            r"more like this|related story)\s*(?::|$|>|»|\||›)",
            # "More by Suzy Fleming Leonard" over a list of the writer's other columns
            r"(?-i:^(?:More|MORE) (?:by|BY) [A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3}\s*:?$)",
            r"(?-i:^(?!(?:WHEN|WHERE|WHAT|WHO|WHY|HOW|COST|DETAILS|TICKETS|ADMISSION|INFO|MORE INFORMATION|HOURS|"
            r"LOCATION|PRICE|SIGNED|RECORD|NOTE|UPDATE|CORRECTION|EDITOR'S NOTE|EDITOR’S NOTE|Q|A|FINAL|SCORE)\s*:)"
            # (not a list's entry, a work and its year: "BASEMENT: 'The Blair Witch Project' (1999)")
            r"[A-Z][A-Z0-9 '’&!?.,/-]{1,40}[A-Z!?'’]:\s*\S+(?:\s+\S+){3,}(?<![.!?\"”])(?<!\(\d{4}\)))$",
            r"^[^.:!?]{1,60}[A-Za-z)'’\"”!?]:(?=[A-Z'‘\"“$#\d])\S",
            # "HOW WILL NFL PLAYERS RESPOND? After Hamlin incident, it's clear …": a question in
            # capitals as the label, a headline after it, no full stop
            r"(?-i:^[A-Z][A-Z0-9 '’&,-]{5,60}\?\s+[A-Z][^\n]{10,200}(?<![.!?\s]))$",
            r"^(?:AP|CNN|USA TODAY) [\w ]{2,40}:\s*https?://",
            r"^(?:click|tap) (?:here|to)\b",
            # "More on the Vietnam War:", "More Delaware Phish news", "… Here's more:", "Discover more … tips:"
            r"^more (?:on|about|from) [\w .'’&-]{2,40}:\s*$",
            r"^more [\w .'’&-]{2,30} (?:news|stories|coverage)\s*:?\s*$",
            r"(?:^|[?!.]\s+)here['’]s more\s*:\s*$",
            r"^discover more [\w .'’&-]{2,50}:\s*$",
            r"^read (?:the |her |his |their |our )?(?:full|original|more|complete)\b.{0,80}\b(?:here|article|story)\W*$",
            r"^(?:you can )?(?:see|find|read|view) (?:the|her|his|their) (?:full|complete|entire) [\w ]{2,40}"
            r"\b(?:here|at [\w.]+\.(?:com|org))\W*$",
            r"^(?:here['’]s|here is) (?:our|the) latest coverage\b",
            # "Nuking a hurricane? You can't nuke a hurricane … Here's why", "Is Mexico travel safe?
            # What to know about visiting Cabo …": a headline, then the explainer's promise, no full
            # stop (alone, "Here's how to make the perfect lobster roll" is a subhead, and after a
            # live blog's time, "9:40 p.m.: Here's who's winning …", an entry's heading)
            r"^(?!\d{1,2}:\d\d)(?!.*\b[ap]\.m\.\s*:).{8,}?[?.!]\s+(?:here['’]s (?:why|how|what|where|when|who)\b[^.!:]{0,80}|"
            r"what (?:to|you need to) know\b[^.!:]{0,80})$",
            # a link to an opinion piece, labelled by its kind as the site lists it: "A change of heart
            # about Muslims: Column", "Zelenskyy is a lion of a leader | Opinion" (26 of 26 such lines
            # in the scraped corpus are links)
            r"(?-i:[:|]\s*(?:Column|Voices|Opinion|Editorial|Our view|Opposing view)\s*)$",
        ),
        max_words=30,
    ),
    Rule(
        "promo",
        "site promotion (games, apps, podcasts, deals, weather, voter guides)",
        _p(
            r"^click through the (?:slide ?show|gallery|photos?)\b",
            r"^(?:scroll|swipe) through the (?:gallery|photos)\b",
            r"\b(?:take|try) (?:our|the|cnn['’]s|this week['’]s|the weekly|usa today['’]s) [\w .'’-]{0,30}\bquiz\b",
            r"^quiz time\W*$",
            r"^check out (?:more|our|the)\b.{0,120}\b(?:images|photos|galleries|gallery)\b",
            r"^for (?:the latest|more)\b.{0,60}\b(?:visit|go to|see|check out|head to)\s+\S+\.(?:com|org|net)\b",
            # a newsletter's gallery link and the outlet's pointer to its own coverage
            r"^photos of the (?:week|day)\W*$",
            # "Tune in Thursday to floridatoday.com/space for … live coverage", "Join our Facebook group"
            r"^tune in\b.{0,60}\b[\w-]+\.(?:com|org|net)\b",
            r"\bjoin our (?:new )?facebook group\b",
            # the outlet's promise of more: "… live, so stick with us for the latest", "Want to hear more
            # CNN reporting?"
            r"\bstick with us for (?:the latest|updates|more)\b",
            r"^want to (?:hear|read|see) more(?: [\w ]{1,30})?\?$",
            # a translation's link: "Leer en español"
            r"^(?:leer|lea|lee|read this|read it) (?:en|in) (?:español|spanish)\W*$",
            r"^get more of (?:cnn|usa today|our)(?:['’]s)? [\w’'-]+(?: [\w’'-]+){0,3} coverage\W*$",
            r"\bcontinue our coverage\b.{0,80}\bhere\W*$",
            r"^need a break\?",
            r"^want more(?: [\w ]{1,30})?\?$",  # "Want more 5 Things?" over a podcast's plug
            r"^prefer to (?:listen|watch)\?",
            # an opinion section's house text under every guest column
            r"\bpublishes diverse opinions from outside writers\b",
            r"\bread diverse opinions from our board of contributors\b",
            r"^just curious for more\?",
            # syndicated partners' house promotions (44 and 14 pages of the scraped corpus)
            r"\bhave all your shopping needs covered\b",
            r"^offer from the motley fool\b",
            r"^\*?stock advisor returns as of\b",
            r"^see the \d+ stocks\W*$",
            r"\brevealed what they believe (?:are|is) the (?:\w+ )?best stocks?\b",
            r"\bthe motley fool stock advisor\b",
            r"\bat the time of our recommendation\b",
            r"^stock advisor provides investors\b",
            # the outlet's own podcast plugged under a story: "In this week's One Thing podcast, …",
            # "Listen to One Thing with host …", "the Sunday edition of the 5 Things podcast"
            r"\b(?:in|on) this week['’]s [\w ]{0,40}\bpodcast\b",
            r"\bhas a new podcast\b",
            r"^this week['’]s [\w ]{1,40}\bpodcasts?\W*$",  # the heading over a list of episodes
            r"\bthe (?:sunday|saturday|weekend|weekly|daily) edition of the [\w ]{1,30}\bpodcast\b",
            # a store's department buttons: "Shop appliances", "Shop small kitchen appliances" (a
            # shopper's tip says how: "Shop often", "Shop around")
            r"^shop (?!(?:often|around|early|late|local(?:ly)?|online|smart|small|less|more|wisely|safely|"
            r"here|now|together)$)(?-i:[a-z])[\w'’&-]*(?: (?-i:[a-z])[\w'’&-]*){0,3}$",
            # a shopping button: "Get the Samsung DW80R9950UT dishwasher for $1,084"
            r"^(?:get|buy|shop|sign up for) (?:the |a |an )?[\w+&'’ .-]{2,80}? (?:for|at|starting at) \$[\d,]+"
            r"(?:\.\d\d)?(?: a month| per month| a year)?\W*$",
            # a betting partner's button: "Check out Tipico Sportsbook for all the latest betting odds …"
            r"^check out [\w'’ -]{1,30} sportsbook\b",
            # a button without a price: "Sign up for Apple TV+", "Stream Oz on HBO Max"
            r"^sign up for (?:(?:a |an )?(?-i:[A-Z])|our )[\w+&'’ -]{1,40}[\w+]$",  # a name, not "… for autopay"
            r"^stream [\w+&'’ :-]{2,50} on (?:netflix|hulu|(?:hbo )?max|amazon(?: prime(?: video)?)?|prime video|"
            r"disney(?:\+| plus)|peacock|paramount(?:\+| plus)|apple tv(?:\+| plus)?|youtube(?: tv)?|sling(?: tv)?|fubo(?:tv)?)$",
            # a named game ("Play the USA TODAY Daily Crossword"), not "play the first of two games"
            r"\bplay the (?-i:[A-Z])[\w .]+ (?:crossword|puzzle|games?)\b",
            r"\bdownload (?:the|our) [\w .]+ app\b",
            r"\bthe [\w .]+ app gets you\b",
            r"^(?:what['’]s|what is) the weather (?:today|like)\?",
            r"^check (?:your|out) (?:local )?(?:forecast|the latest)\b",
            r"^[\w '’&-]{2,40}:\s*(?:see who|shop|sign[- ]up|subscribe|follow (?:along|every|all|the latest)|"
            r"play|download|listen|watch|check out|get (?:the|our|updates)|track|latest|live (?:updates|blog|coverage|stream|scores|analysis|results))\b",
            r"^(?:learn more|find out more|check out|podcasts?|more podcasts|listen|watch|live updates?|follow live updates)\s*:",
            r"^follow (?:live updates|every game|along|all the action)\b",
            r"^(?:get|join)\b.{0,80}\b(?:whatsapp|text(?:s|ing)? (?:alerts|updates))\b",
            r"\bsign[- ]up for [\w :]+:?\s*text\b",
            r"^hit play on the player\b",
            r"\btranscript was automatically generated\b",
            r"^(?:unable to view|can['’]t see) (?:our|the|this) (?:graphics?|video|map|chart)\b",
            r"\b(?:visit|go to) [\w.]+\.(?:com|co\.uk)(?:/\w+)? for more\b",
            # "Looking for more education news? Visit …", "FOR MORE: Want to read more …? Want to share
            # yours? Follow the thread at …": a question to the reader, then where to click
            r"^(?:for more:\s*)?(?:looking for|want|need)\b[^?]{3,80}\?\s+(?:(?:want|need)\b[^?]{0,60}\?\s+)?"
            r"(?:visit|check out|follow|head to|go to|sign up|subscribe|download)\b",
            # the site's own tools: "Check out USA TODAY's recall database", "Read our guide on …"
            r"\b(?:visit|check(?: out)?|search|read|see|browse|explore)\s+(?:usa today['’]s|our)\s+"
            r"(?:[\w'’-]+\s+){0,4}?(?:database|guides?|coupons? page|tool|tracker)\b",
        ),
        max_words=45,
        keywords=(
            "need a break",
            "want more",
            "click through",
            "through the",
            "quiz",
            "for the latest",
            "for more",
            "photos of the",
            "tune in",
            "facebook group",
            "stick with us",
            "want to",
            "español",
            "spanish",
            "get more of",
            "our coverage",
            "play the",
            "download",
            " app",
            "weather",
            "check",
            ":",
            "hit play",
            "transcript",
            "unable to view",
            "can't see",
            "can’t see",
            "visit ",
            "go to ",
            "follow",
            "whatsapp",
            "text",
            "diverse opinions",
            "just curious",
            "shopping needs",
            "sign up for",
            "stream ",
            "motley fool",
            "stock advisor",
            "our recommendation",
            "podcast",
            "shop ",
            "$",
            "stocks",
            "prefer to",
            # the reader-question pattern: a question, then where to click
            "? visit",
            "? check out",
            "? follow",
            "? head to",
            "? go to",
            "? sign up",
            "? subscribe",
            "? download",
            "our ",
            "usa today's",
            "usa today’s",
        ),
    ),
    Rule(
        "series_note",
        "a series' house text under each of its pieces",
        _p(
            # "USA TODAY is exploring the questions you and others ask every day. From …"
            r"\bis exploring the questions you and others ask\b",
        ),
        max_words=100,
        keywords=("exploring the questions",),
    ),
    Rule(
        "promo",
        "a syndicated column's sign-off promoting its show or podcast",
        _p(
            # "Learn about all the latest technology on the Kim Komando Show, the nation's largest
            # weekend radio talk show. Kim takes calls …" (14 pages of the scraped corpus) and the
            # podcast box's heading above it ("Keep your tech-know going", 9)
            r"\bthe nation['’]s largest (?:weekend )?radio talk show\b",
            r"^keep your tech-know going$",
            # the column's plug for its own show: "Plus, are we alone? I talk UFOs and aliens with …"
            r"^plus, [^?]{3,100}\? i (?:talk|speak|chat)\b",
        ),
        max_words=90,
        keywords=("radio talk show", "tech-know", "plus,"),
    ),
    Rule(
        "house_note",
        "the site's standard disclaimer under an opinion piece",
        _p(
            # "The views and opinions expressed in this column are the author's and do not
            # necessarily reflect those of USA TODAY."
            r"^the (?:views|opinions)(?: and (?:views|opinions))? expressed (?:in|by) (?:this|these|the) "
            r"(?:[\w-]+ ){0,2}(?:column|commentary|article|piece|op-ed|essay|letter|post|blog|story|content|"
            r"editorial|opinion|author)s? (?:are|is)\b.{0,160}$",
        ),
        max_words=45,
        keywords=("expressed",),
    ),
    Rule(
        "service_box",
        "help-line box the site inserts under stories on suicide or abuse",
        _p(
            r"^how to get help:",
            r"^if you or someone you know\b.{0,200}\b(?:call|text|dial|contact|reach out)\b",
            r"^(?:the )?crisis text line\b.{0,160}\b(?:text|dial)\w*\b.{0,60}\d{3}",
            # "If you need help or support immediately, the Substance Abuse and Mental Health Services
            # Administration has a free, confidential National Helpline …", "SAMHSA National Helpline: 800-…"
            r"^(?:if you need help\b.{0,60}\bthe substance abuse and mental health services administration "
            r"(?:has|offers|runs)\b.{0,40}\bnational helpline\b|samhsa['’]?s? national helpline\s*:)",
        ),
        max_words=80,
    ),
    Rule(
        "share_follow",
        "share / follow buttons and social links",
        _p(
            r"^(?:share|share this(?: article| story| page)?|share on \w+|tweet|e-?mail|print|pin|whatsapp|"
            r"facebook|twitter|linkedin|reddit|copy link|link copied|comments?|\d+ comments?|"
            r"share (?:via|with) \w+)\W*$",
            r"^follow (?:us|\w+(?: \w+){0,3}) on (?:twitter|x|facebook|instagram|threads|tiktok|linkedin|bluesky)\b",
            r"^for more\b.{0,60}\bfollow @\w+",
            # "Follow USA TODAY tech reporter Marco della Cava on Twitter."
            r"^follow [\w .'’-]{2,60}\b(?:reporter|writer|columnist|correspondent|editor|critic)\b[\w .'’-]{2,40} on "
            r"(?:twitter|x|facebook|instagram|threads|bluesky)\W*$",
            r"^(?:like|join) (?:us|our [\w '’-]+ group) on facebook\b",
            r"^follow (?:us|[\w .]+) on (?:facebook|twitter|x)!",
            r"^(?:you can (?:also )?)?follow (?:him|her|them|us)?\s*on (?:twitter|x|facebook|instagram|threads)\b",
            r"^join us on (?:twitter|facebook|x)\b",
        ),
        max_words=40,
    ),
    Rule(
        "author_contact",
        "author bio / contact line (kept in metadata.credits)",
        _p(
            r"^(?:contact|reach|follow|email|e-mail|tweet|got a tip|have an idea)\b.{0,200}(?:@|\.com\b|\(\d{3}\) ?\d{3}-\d{4}|\d{3}-\d{3}-\d{4})",
            r"\b(?:reach|contact|email|e-mail) (?:him|her|them|the reporter)\b.{0,120}(?:@|\.com\b|\d{3}-\d{4})",
            # "Email me at …" closing a column; "… visit their website or contact me at …" is the column
            r"^(?:you can )?(?:reach|contact|email|e-mail) me\b.{0,120}(?:@|\.com\b|\d{3}-\d{4})",
            # "Parents, let us hear from you. Send me an email or message on Twitter." closing a column
            r"\bsend me an? (?:email|e-mail|message|note|tweet)\b",
            r"(?-i:^[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3} is (?:at|on) )(?:https?://)?(?:www\.)?"
            r"(?:twitter|x|facebook|instagram|threads|linkedin)\.com/\S+$",
            # "Tell robin brown at (302) 324-2856, rbrown@…", "Find the reporter at www.…"
            r"\btell [\w .'’-]{2,40} at\b.{0,80}(?:@|\d{3}-\d{4})",
            r"^find (?:the reporter|the writer|the author|me|him|her|them) (?:at|on)\b.{0,80}(?:www\.|\.com\b|@)",
            r"(?-i:\b(?:[Ee]-?mail|[Cc]ontact|[Rr]each)\s+(?:[\w-]+\s+){0,3}(?:reporter|writer|editor|columnist)\s+"
            r"[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}\s+at\s+\S+@)",
            r"\bis an? (?:[\w-]+ ){0,5}(?:reporter|writer|editor|correspondent|columnist|journalist|producer|"
            r"contributor)\b.{0,200}(?:@|\.com\b)",
            r"\bcovers [\w ,&-]{3,80} for [\w .]{2,40}\.\s*(?:reach|contact|follow|email)\b",
            r"\bcovers\b.{3,150}\b(?:reach|contact|email|e-mail|follow)\b.{0,120}(?:@|\.com\b)",
            r"\b(?:can|may) be (?:reached|e-?mailed|contacted) at\b.{0,80}(?:@|\.com\b|\d{3}-\d{4})",
            # "Ken Alltucker is on Twitter at @kalltucker", "David Callaway on Twitter: @dcallaway."
            r"(?-i:^[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}(?: is)? on (?:Twitter|X|Threads|Instagram|Bluesky)"
            r"(?: at|:)\s*@\w{2,})",
            # "Got a story? Contact Kelly Powers at kepowers@gannett.com …"
            r"(?-i:\b(?:[Cc]ontact|[Rr]each|[Ee]-?mail)\s+[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}\s+(?:at|via|on)\s+\S+@)",
            r"^@\w{2,30}$",
            r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+\.?$",  # the writer's address alone under the story
            r"^(?:twitter|x|instagram|threads|bluesky|facebook|tiktok)\s*:\s*@\w{2,30}\.?$",
            # "Interested in Iowa food news? Follow @briantaylorcarlson on Facebook, @BriinDSM on Twitter"
            r"\bfollow @\w{2,30} on (?:twitter|x|facebook|instagram|threads|tiktok|bluesky)\b",
            r"^follow [\w .'’-]{2,40} on (?:twitter|x)(?: and threads)?:?\s*@",
        ),
        max_words=70,
        moved_to="credits",
        keywords=(
            "@",
            ".com",
            "reach",
            "contact",
            "covers",
            "follow",
            "email",
            "e-mail",
            "tip",
            "idea",
            "tweet",
        ),
    ),
    Rule(
        "author_bio",
        "author bio at the end of the article (kept in metadata.credits)",
        _p(
            r"(?-i:^(?!.*\bwhile\b)[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]*){1,3}) (?:is|was|has been) (?:an? |the )?"
            # the role is a noun phrase ("a freelance writer and editor"), not a clause about
            # the person ("is confident she and fellow sprinter … will not be punished")
            r"(?:(?!\b(?:she|he|they|it|we|i|you|will|would|not|that|who)\b)[\w ,.'’&-]){0,100}\b"
            r"(?:reporter|writer|editor|correspondent|columnist|journalist|producer|contributor|intern|fellow|"
            r"critic|photographer|student)\b[^.!?]{0,120}[.!?](?:\s+(?:learn more about (?:him|her|them) here|"
            r"(?:reach|contact|follow|email) [^.]{0,120})\.?)?$",
        ),
        max_words=45,
        moved_to="credits",
        tail_only=True,
    ),
    Rule(
        "credits",
        "contributor / wire credit (kept in metadata.credits)",
        _p(
            r"^information for this article was contributed by\b",
            r"^(?:contributing|contributors?|additional reporting|reporting|writing|editing|edited|compiled|"
            r"produced|graphics?|research)(?: (?:by|from))?\s*:",
            r"^(?:with )?(?:reporting|writing|editing|additional reporting) by\b",
            r"\bcontributed (?:to )?(?:this|the) (?:report|story|article|reporting)\W*$",
            # "— Mark Thompson contributed reporting.", "Sarah Al-Arshani contributing."
            r"^[–—−-]{0,2}\s*[\w.'’ ,&-]{2,250}\b(?:contributed reporting|contributing)\W*$",
            # "AP Writers Kelvin Chan in London, David Koenig in Dallas … contributed."
            r"^(?:[\w.'’&-]+ ){0,3}(?:writers?|reporters?|correspondents?|journalists?)\b.{2,250}\bcontributed\W*$",
            # "Mutzabaugh and Jansen reported from Washington; Hughes reported from Denver."
            rf"^[–—−-]{{0,2}}\s*{_REPORTED_FROM}(?:(?:;|,| and)\s+{_REPORTED_FROM})*\W*$",
            r"^(?:from|by) (?:staff|usa today network|wire|the associated press)(?: and wire)? reports?\W*$",
            r"^(?:staff|wire|staff and wire|wire and staff) reports?\W*$",
            r"^from (?:staff and wire|usa today network and wire|wire and staff) reports\W*$",
            r"^(?:this|the) (?:story|article|report|post)\b.{1,150}\b(?:originally appeared|was originally published|"
            r"first appeared) (?:on|in)\b",
            r"^(?:this|the) (?:story|article|report|post) (?:originally appeared|was originally published|"
            r"first appeared|is republished|was produced|was published) (?:on|in|by|from|as|with)\b",
            r"^\(?this (?:story|article) was (?:produced|reported|written) (?:by|in partnership|in collaboration)\b",
            r"^this (?:commentary|column|op-ed|essay) (?:is|was) (?:authored|written) by\b",
            r"^(?:this|the) (?:story|article|report) (?:includes|contains|uses) (?:information|reporting|material)s? from\b",
            r"^(?:this|the) (?:story|article|report) (?:was|has been) adapted from\b",
        ),
        max_words=60,
        moved_to="credits",
    ),
    Rule(
        "byline",
        "byline (kept in metadata.authors)",
        _p(
            # not "By May, however, Shopify warned …" (a month or weekday and a comma open a sentence)
            # nor "By the numbers" (a heading: an article before a word in lower case)
            rf"^by\s+(?!{_MONTH_OR_DAY},)(?!(?:the|a|an)\s+(?-i:[a-z])){_NAME}(?:\s+{_NAME}){{0,3}}(?:\s*(?:,|and|&)\s*{_NAME}(?:\s+{_NAME}){{0,3}})*"
            r"(?:,\s*[\w .'’-]+)?$",
            # "By BARBARA ORTUTAY and MATT O'BRIEN AP Technology Writers"
            rf"(?-i:^[Bb]y\s+{_NAME}(?:\s+{_NAME}){{0,3}}(?:\s*(?:,|and|&)\s*{_NAME}(?:\s+{_NAME}){{0,3}})*"
            r"\s+(?:AP|Associated Press|Reuters|AFP)\b[\w ]{0,40}(?:Writers?|Reporters?|Editors?|Correspondents?)$)",
            # the affiliation after the comma is a few words ("-- In Kentucky, as much as a foot of snow …"
            # is a sentence)
            rf"^[–—−-]{{1,2}}\s*{_NAME}(?:\s+{_NAME}){{0,3}}(?:,\s*(?=(?:\S+\s+){{0,5}}\S+$)[\w .'’|-]{{2,60}})?$",
        ),
        max_words=14,
        moved_to="authors",
    ),
    Rule(
        "editorial_note",
        "update/correction note about the page, not news",
        _p(
            # "Update: This story has been updated with …", "Correction: This story has been updated to …"
            # (not "… updated to reflect that Starlight comes in two varieties": that note states a fact)
            r"^\(?(?:(?:update|correction|editor['’]s note)\s*:\s*)?(?!.*\bto (?:reflect|clarify|note) that\b)"
            r"(?:this|the) (?:story|article|post|report|page)(?: and(?: its)? headline)? (?:has|have|was|were) "
            r"(?:been )?updated\b(?!.*[.!?][”\"’)]?\s+[A-Z]).{0,160}$",
            r"^\(?updated (?:with|to (?:add|include))\b.{0,120}$",
            # "This story is breaking and will be updated.", "This is a developing story."
            r"^\(?(?:this is an? (?:breaking|developing) (?:news )?(?:story|situation)|this (?:story|article|report) "
            r"is (?:still )?(?:breaking|developing))(?:[,;]? (?:and )?(?:it )?will be updated"
            r"(?: as (?:more )?(?:information|details) (?:becomes?|are) available)?)?[.!)]*$",
            # "Correction: A previous version of this story misstated the amount …", alone or with
            # "This version has been corrected." (a note that gives the right figure, "…, who is 54",
            # or goes on to a second sentence states a fact)
            r"^\(?(?:(?:correction|clarification)\s*:\s*)?(?:an?|the) (?:previous|earlier|prior) version of this "
            r"(?:story|article|report|post)\s+(?:misstated|misidentified|misspelled|misattributed|"
            r"incorrectly (?:stated|identified|reported|described|said)|(?:stated|gave|included|used|had) the wrong|"
            r"contained an error|originally published)\b(?![^.!?]*\b(?:is|was|are|were|correct|actually)\b)"
            r"[^.!?]*[.!?]?\)?"
            r"(?:\s*(?:this|the) (?:version|story|article) has been (?:corrected|updated)\.?)?$",
        ),
        max_words=35,
    ),
    Rule(
        "navigation",
        "navigation remnant (menus, breadcrumbs, buttons)",
        _p(
            r"^(?:home|menu|search|log ?in|sign ?in|log ?out|register|skip to (?:main )?content|back to top|"
            r"next|previous|prev|next (?:story|article|page)|previous (?:story|article|page)|close|open|expand|"
            r"collapse|toggle navigation|main menu|see more|show more|load more|view (?:all|more|comments|gallery)|"
            r"keep scrolling|scroll (?:down|to continue)|enlarge this image|open gallery|view gallery|"
            r"(?:\d+ )?photos|replay|play video|watch video|listen to this article|all rights reserved.*|"
            r"©.{0,80}|copyright ©?.{0,80})\W*$",
            r"^(?:[^|»›>•]{1,30}\s*[|»›>•]\s*){3,}[^|»›>•]{0,30}$",
            r"^(?:the )?(?:story|article) continues (?:below|after)\b.{0,40}$",
            # an opinion page's section label over its letters ("Letters to the Editor")
            r"^(?:letters? to the editor|your letters|readers['’] letters|our view|opposing view)\W*$",
        ),
        max_words=25,
    ),
    Rule(
        "separator",
        "separator line without words",
        _p(r"^[^\w]{1,12}$", r"^_{2,}$", r"^<?/?(?:br|hr|p|div|span)\s*/?>$"),  # "br />": markup left over
        max_words=3,
    ),
)
RULES_BY_NAME = {r.name: r for r in RULES}

# Repeats that are structure, not scraping accidents: a questionnaire asking every candidate the
# same question, list items ("• Budget: $200 million") that recur for different entries.
_LIST_OR_QUESTION = re.compile(r"^(?:[•\-*>▪►◦·◾]|\d{1,3}[.)]\s|[\w ]{1,30}:\s)|\?[\"”’']?$")


@dataclass
class Line:
    """One non-empty line (paragraph) of the cleaner's input, with char offsets of its stripped text."""

    text: str
    start: int
    end: int

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class RuleResult:
    """Lines kept, removals made, and what the rules moved to metadata."""

    kept: list[Line] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    datelines: list[str] = field(default_factory=list)
    timestamps: list[str] = field(default_factory=list)
    print_edition: list[str] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)


def split_lines(text: str) -> list[Line]:
    """Non-empty lines of ``text`` with offsets of their stripped content."""
    lines: list[Line] = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            lines.append(Line(stripped, pos + lead, pos + lead + len(stripped)))
        pos += len(raw)
    return lines


def classify_line(line: str, from_end: int = 0, from_start: int | None = None) -> Rule | None:
    """The first general rule that matches ``line`` (already stripped), if any.

    ``from_end`` is the line's distance from the document's last line (0 = last line),
    ``from_start`` its distance from the first (0 = the lead; None = unknown).
    """
    words = len(line.split())
    lower = line.lower()
    for rule in RULES:
        if rule.matches(line, words, from_end, lower, from_start):
            return rule
    return None


def apply_rules(
    text: str,
    *,
    title: str | None = None,
    known_captions: Iterable[str] = (),
    authors: Iterable[str] = (),
    min_duplicate_chars: int = 50,
) -> RuleResult:
    """Run the general rules over ``text``; offsets in removals index ``text``.

    Besides the per-line patterns: lines equal to a known caption (``<figcaption>``) are captions;
    the title repeated as the first line is dropped (it is metadata); a byline block at the top
    (a name line, then a short affiliation line) goes to authors; and a paragraph that occurs again
    later in the document is kept once (``duplicate_paragraph``), unless it is too short to be a
    paragraph ("Yes.", "Thank you.") or a question/list item (questionnaires, listicles), which
    repeat legitimately.
    """
    result = RuleResult()
    lines = split_lines(text)
    captions_norm = {normalise_text(c) for c in known_captions if c.strip()}
    authors_norm = {normalise_text(a) for a in authors if a.strip()}
    title_norm = _title_key(title) if title else ""
    seen: set[str] = set()
    byline_idx = _byline_block(lines, authors_norm) | _signature_block(lines)

    def remove(line: Line, rule: str, reason: str, moved_to: str | None) -> None:
        result.removed.append(Removal(rule, line.text, line.start, line.end, reason, moved_to))

    for i, line in enumerate(lines):
        norm = normalise_text(line.text)
        if norm in captions_norm:
            _add_once(result.captions, line.text)
            remove(line, "caption", "text of a <figcaption>/caption element (kept in metadata)", "captions")
            continue
        if i < 3 and title_norm and _title_key(line.text) == title_norm:
            remove(line, "title", "the title repeated as body text (kept in metadata.title)", None)
            continue
        if i in byline_idx:
            moved = byline_idx[i]
            (
                _add_once(result.authors, line.text)
                if moved == "authors"
                else _add_once(result.credits, line.text)
            )
            where = "at the top of the article" if i < 3 else "signing the article"
            remove(line, "byline", f"byline block {where} (kept in metadata)", moved)
            continue
        rule = classify_line(line.text, len(lines) - 1 - i, i)
        if rule is not None and rule.name == "byline" and _in_hyphen_list(lines, i):
            rule = None  # "- Tom Brady" between other "- ..." lines is a bulleted list, not a signature
        if rule is not None and rule.open_end and _continues_on_next_line(lines, i):
            rule = None  # "... in third. And" + "won the women's 800m": one sentence cut in two
        if rule is not None:
            _record_move(result, rule.name, rule.moved_to, line.text)
            remove(line, rule.name, rule.reason, rule.moved_to)
            continue
        if len(norm) >= min_duplicate_chars and not _LIST_OR_QUESTION.search(line.text):
            if norm in seen:
                remove(line, "duplicate_paragraph", "paragraph already present earlier in the article", None)
                continue
            seen.add(norm)
        result.kept.append(line)
    _apply_structure(result, authors)
    return result


def _apply_structure(result: RuleResult, authors: Iterable[str] = ()) -> None:
    """Furniture told by the shape and place of the lines left (``ingest.structure``)."""
    from ingest.structure import detect

    findings = {f.index: f for f in detect(result.kept, _context(result, authors))}
    if not findings:
        return
    kept = []
    for i, line in enumerate(result.kept):
        f = findings.get(i)
        if f is None:
            kept.append(line)
            continue
        _record_move(result, f.rule, f.moved_to, line.text)
        result.removed.append(Removal(f.rule, line.text, line.start, line.end, f.reason, f.moved_to))
    result.kept = kept


_LINK_RULES = frozenset({"read_more"})


def _context(result: RuleResult, authors: Iterable[str] = ()) -> Context:
    """What the structure detectors need to know of the lines the per-line rules took out."""
    from ingest.structure import Context

    links = any(r.rule in _LINK_RULES for r in result.removed)
    return Context(
        _beside_links(result) if links else frozenset(),
        links_removed=links,
        authors=frozenset(a for a in [*authors, *result.authors] if a.strip()),
        after_link_labels=_after_link_labels(result) if links else frozenset(),
    )


def _after_link_labels(result: RuleResult) -> frozenset[int]:
    """Indices of kept lines right after a removed link *label* ("MORE:", "More from Credit.com"):
    what follows such a label is a list of links, where what follows a link may be the story."""
    labels = sorted(
        r.start
        for r in result.removed
        if r.rule in _LINK_RULES and len(r.text.split()) <= 5 and not re.search(r":\s*\S", r.text)
    )
    out = set()
    for start in labels:
        nxt = next((i for i, line in enumerate(result.kept) if line.start > start), None)
        if nxt is not None and not any(start < r.start < result.kept[nxt].start for r in result.removed):
            out.add(nxt)
    return frozenset(out)


def _beside_links(result: RuleResult) -> frozenset[int]:
    """Indices of kept lines that stood right before or after a line removed as a story link."""
    order = sorted(
        [(line.start, i) for i, line in enumerate(result.kept)]
        + [(r.start, -1 if r.rule in _LINK_RULES else -2) for r in result.removed]
    )
    beside = set()
    for k, (_, i) in enumerate(order):
        if i >= 0 and any(0 <= j < len(order) and order[j][1] == -1 for j in (k - 1, k + 1)):
            beside.add(i)
    return frozenset(beside)


def _continues_on_next_line(lines: list[Line], i: int) -> bool:
    """Does line ``i`` end mid-sentence, the next line carrying on in lower case or after a comma?

    Copy exported with its linked names dropped or split onto their own lines (the BBC set does
    this) leaves paragraphs that end in an open word; they are text, whatever that word is.
    """
    if i + 1 >= len(lines):
        return False
    head = lines[i + 1].text[:1]
    return head.islower() or head in ",;:)"


def _in_hyphen_list(lines: list[Line], i: int) -> bool:
    """Whether line ``i`` and a neighbour both start with a bullet-like hyphen."""
    if not lines[i].text.startswith(("-", "–", "—", "−")):
        return False
    neighbours = [lines[j].text for j in (i - 1, i + 1) if 0 <= j < len(lines)]
    return any(n.startswith(("- ", "– ", "— ", "− ", "-", "•")) and len(n.split()) <= 12 for n in neighbours)


def _record_move(result: RuleResult, rule: str, moved_to: str | None, text: str) -> None:
    if moved_to == "captions":
        _add_once(result.captions, text)
    elif moved_to == "credits":
        _add_once(result.credits, text)
    elif moved_to == "authors":
        name = re.sub(r"^(?:by\s+|[–—−-]{1,2}\s*)", "", text, flags=I).split(",")[0].strip()
        if name:
            _add_once(result.authors, name)
    elif moved_to == "dateline":
        result.datelines.append(text)
    elif moved_to == "updated":
        result.timestamps.append(text)
    elif moved_to == "videos":
        title = video_title(text)
        if title:
            _add_once(result.videos, title)
    if rule == "print_edition":
        result.print_edition.append(text)


def _add_once(items: list[str], text: str) -> None:
    if normalise_text(text) not in {normalise_text(x) for x in items}:
        items.append(text)


def _title_key(text: str) -> str:
    t = normalise_text(text)
    t = re.sub(r"\s*(?:\.\.\.|…)$", "", t)
    t = re.sub(r"\s*[|–—-]\s*(?:cnn|usa today|the week|bbc news|reuters)[\w .]*$", "", t)
    return t


def _byline_block(lines: list[Line], authors_norm: set[str]) -> dict[int, str]:
    """Byline lines among the first three lines → metadata field (``authors`` or ``credits``).

    A byline block is one of: a line naming a record author; an agency or column label ("USA
    TODAY", "Guest Columnists", "CNBC" under a name); names over an outlet line ("Jane Doe" then
    "USA TODAY"); names and outlet on one line ("Jayme Deerwester, USA TODAY", "Douglas Robson,
    Special for USA TODAY Sports"); or, in the first two lines, a line that is nothing but the
    names of people (spaCy's entities say so), as a page without an outlet line prints its byline.
    """
    found: dict[int, str] = {}
    head = lines[:3]
    for i, line in enumerate(head):
        text = line.text
        if i in found or len(text) > 120 or text[-1:] in '.!?:;"”':
            continue
        if normalise_text(text) in authors_norm:
            found[i] = "authors"
            continue
        if _AGENCY_LINE.match(text):
            found[i] = "credits"
            continue
        nxt = head[i + 1].text if i + 1 < len(head) else ""
        if i == 0 and len(text.split()) <= 5 and _looks_like_outlet(text) and _is_org_line(text):
            found[i] = "credits"  # "The News Journal" over the story: the outlet of a byline the scrape lost
            continue
        if _NAME_LIST.match(text):
            if nxt and (_is_outlet_line(nxt) or (_is_outlet_org(nxt) and _is_person_line(text))):
                found[i] = "authors"
                found[i + 1] = "credits"
                continue
            if i <= 1 and _is_person_line(text) and not _named_in_body(text, lines, i):
                found[i] = "authors"
                if nxt and (_AGENCY_LINE.match(nxt) or _outlet_under_byline(head, i + 1, lines)):
                    found[i + 1] = "credits"
                continue
        m = _NAME_COMMA_OUTLET.match(text)
        if m and _is_outlet_line(m.group("outlet")):
            found[i] = "authors"
    return found


_TITLE_WORD = re.compile(r"^(?:[A-Z\d(][\w.'’/()&-]*|the|of|and|for|on|at|&)$")


def _outlet_under_byline(head: list[Line], at: int, lines: list[Line]) -> bool:
    """The line under a person's byline that names their paper, whatever its words ("Central
    Florida Future", "The Independent", "Tallahassee (Fla.) Democrat", "24/7 Wall St."): a short
    line of capitalised words, not a person's name, with the story's prose right under it (a
    heading under a byline introduces a part of the story, which a paper's name does not)."""
    text = head[at].text
    words = text.split()
    if not 1 <= len(words) <= 6 or text[-1:] in '!?:;"”' or (text.endswith(".") and not text.endswith("St.")):
        return False
    if not all(_TITLE_WORD.match(w) for w in words) or not any(w[:1].isupper() for w in words):
        return False
    if re.search(r"\b(?:1[89]|20)\d\d", text):
        return False  # "The 1940s", "Summer 2023": a part of the story by its time
    after = lines[at + 1].text if at + 1 < len(lines) else ""
    return len(after.split()) >= 12 and not _is_person_line(text)


def _signature_block(lines: list[Line]) -> dict[int, str]:
    """A signature among the last three lines: a line that is only a person's name, not one the
    story mentions ("Clifford Jackson" under a reader's letter), and the place under it ("Larchmont")."""
    found: dict[int, str] = {}
    n = len(lines)
    if n < 4:
        return found
    for at in (n - 1, n - 2):  # the last line, or the one above a place line
        text = lines[at].text
        if at == n - 2 and not _is_place_line(lines[-1].text):
            break
        if len(text) > 60 or text[-1:] in '.!?:;"”' or not _NAME_LIST.match(text):
            continue
        before = lines[at - 1].text
        if before.rstrip()[-1:] not in '.!?"”’' or len(before.split()) < 8:
            continue  # under a list's last item, a name is the next item, not a signature
        if classify_line(text) is None and _is_person_line(text) and not _named_elsewhere(text, lines, at):
            found[at] = "authors"
            if at == n - 2:
                found[n - 1] = "credits"
            break
    return found


def _named_elsewhere(names: str, lines: list[Line], at: int) -> bool:
    """Does the story mention one of these people anywhere but on line ``at``?"""
    surnames = {part.split()[-1].lower() for part in re.split(r",|\band\b|&", names) if part.split()}
    body = " ".join(line.text for k, line in enumerate(lines) if k != at).lower()
    return any(re.search(rf"\b{re.escape(s)}\b", body) for s in surnames)


_PLACE_LINE = re.compile(r"^[A-Z][\w.'’-]+(?:,?\s+[A-Z][\w.'’-]+){0,3}$")


def _is_place_line(text: str) -> bool:
    """A short line of capitalised words under a signature: the writer's town ("Larchmont")."""
    return bool(_PLACE_LINE.match(text))


# "Jayme Deerwester, USA TODAY", "Douglas Robson, Special for USA TODAY Sports"
_NAME_COMMA_OUTLET = re.compile(
    rf"^(?P<names>{_NAME}(?:\s+(?:{_NAME}|{_PARTICLE})){{1,3}}"
    rf"(?:\s*(?:,|and|&)\s+{_NAME}(?:\s+{_NAME}){{1,3}}){{0,3}}),\s+(?P<outlet>[^,]{{2,60}})$"
)
# An outlet in capitals, with at most a section after it: "USA TODAY", "CNN Business", "USA TODAY Sports"
_CAPS_OUTLET = re.compile(r"^(?:the\s+)?[A-Z]{2,}(?:\s+[A-Z]{2,})*(?:\s+[A-Z][a-z]+)?$")
# An outlet's acronym alone on a line under a byline: "CNBC", "NPR", "AFP".
_ACRONYM_LINE = re.compile(r"^[A-Z][A-Z&.]{1,7}$")


def _is_outlet_line(text: str) -> bool:
    """A short line that names an outlet or agency, or a writer's role, rather than saying something."""
    if len(text.split()) > 6 or text[-1:] in '.!?:;"”':
        return False
    return bool(
        _AGENCY_LINE.match(text)
        or _ACRONYM_LINE.match(text)
        or re.match(r"^special (?:to|for)\b", text, I)
        or _CAPS_OUTLET.match(text)
        or _looks_like_outlet(text)
    )


def _named_in_body(names: str, lines: list[Line], at: int) -> bool:
    """Does the story itself mention one of these people? Then the line heads a part about them
    ("Taylor Swift" over a paragraph on her), not a byline; bios among the last lines don't count."""
    surnames = {part.split()[-1].lower() for part in re.split(r",|\band\b|&", names) if part.split()}
    end = len(lines) - TAIL_LINES if len(lines) - TAIL_LINES > at + 1 else len(lines)
    body = " ".join(line.text for line in lines[at + 1 : end]).lower()
    return any(re.search(rf"\b{re.escape(s)}\b", body) for s in surnames)


@lru_cache(maxsize=4096)  # bylines recur across a site's pages
def _is_person_line(text: str) -> bool:
    """Is the line only the names of people ("Ryan Brooks", "Paul G. Summers and Steve Rosenthal")?

    Name-shaped lines are also headings ("Key Takeaways", "Guest Columnists"); spaCy's entity
    tagger tells a person's name from them. Its pipeline loads on the first such line only.
    """

    if text.isupper():
        text = text.title()  # the tagger knows "Christine Coppa", not "CHRISTINE COPPA"
    return _covered_by(text, "PERSON", _JOINERS | _HONORIFICS)


_JOINERS = frozenset({"and", "&", ","})
_HONORIFICS = frozenset(
    "dr dr. mr mr. mrs mrs. ms ms. rep rep. sen sen. gov gov. prof prof. rev rev. judge".split()
)


def _is_outlet_org(text: str) -> bool:
    """A short line under a person's name that is only an organisation's name ("The Motley Fool",
    "The Desert Sun"): the outlet of the byline above it, whatever words its name is made of."""
    return len(text.split()) <= 5 and text[-1:] not in '.!?:;"”' and _is_org_line(text)


@lru_cache(maxsize=4096)
def _is_org_line(text: str) -> bool:
    """Is the line only an organisation's name ("The News Journal", "Wisconsin State Farmer")?"""
    return len(text.split()) >= 2 and _covered_by(text, "ORG", frozenset({"the"}))


def _covered_by(text: str, label: str, allowed: frozenset[str]) -> bool:
    """Every token of ``text`` is inside an entity of ``label``, or one of the ``allowed`` words."""
    from ingest.nlp import NER_ONLY, load_nlp

    doc = load_nlp(NER_ONLY)(text)
    covered = {t.i for ent in doc.ents if ent.label_ == label for t in ent}
    rest = [t for t in doc if t.i not in covered and t.text.lower() not in allowed]
    return bool(covered) and not rest


_OUTLET = re.compile(
    r"\b(?:news|newspapers?|media|journal|times|post|press|herald|tribune|republic|gazette|register|enquirer|star|"
    r"sentinel|inquirer|chronicle|daily|today|network|reports?|\.com|sports|magazine|observer|"
    r"advertiser|courier|dispatch|citizen|examiner|telegraph|courant|ledger|bee|free press|"
    r"contributor|correspondent|writer|reporter|columnist|university|college|institute|bureau|gannett)\b",
    I,
)


def _looks_like_outlet(text: str) -> bool:
    return bool(_OUTLET.search(text))
