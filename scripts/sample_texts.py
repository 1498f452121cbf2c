"""What the demo posts say: every post the demo replays, written by the project.

Each entry is a `Draft`: the text, the policy categories it is meant to exhibit (empty for benign
posts), finer sub-labels for evaluation, who wrote it and on which platform, attached images and
the post it replies to. scripts/make_samples.py turns drafts into platform-shaped Posts. People,
handles and numbers are invented; phone numbers are in Ofcom's drama ranges and e-mail addresses
use example.com / example.ac.uk; every credential is a fake in the provider's format.
"""

# Prose is kept as written, one sentence per string, so long lines are allowed here.
# ruff: noqa: E501

from __future__ import annotations

from dataclasses import dataclass, field

from demo_document_texts import LEAK_PASSAGES as Q


@dataclass
class Draft:
    text: str
    labels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    by: str | None = (
        None  # an account key from ACCOUNTS, or None for an ordinary member of the public
    )
    on: str | None = None  # platform, or None to let the generator balance platforms
    media: tuple[str, ...] = ()  # image keys made by scripts/sample_images.py
    reply: str | None = None  # key of the draft this one replies to
    key: str | None = None
    title: str | None = None  # Reddit submissions
    day: int | None = None  # day of November 2026, when the date matters
    extra: dict[str, object] = field(default_factory=dict)


def D(text: str, *labels: str, **kw: object) -> Draft:  # a short name: drafts read like table rows
    return Draft(text, tuple(labels), **kw)  # type: ignore[arg-type]


# Accounts that are not ordinary members of the public: the registry's own accounts (from the
# config), protected people's real accounts, and lookalikes. Keys are used by drafts' `by`.
# Registry and protected entries carry only what the config does not say.
ACCOUNTS: dict[str, dict[str, object]] = {
    # Registered University-branded accounts (handles and ids come from config/example.yaml).
    "reg:x:QMUL": {
        "display_name": "Queen Mary University of London",
        "followers": 98_400,
        "description": "Official account of Queen Mary University of London. "
        "Research, news and life at our London campuses.",
        "since": "2009-01-17",
        "verified": True,
    },
    "reg:x:QMULNews": {
        "display_name": "QMUL News",
        "followers": 12_800,
        "verified": True,
        "description": "Press Office, Queen Mary University of London. "
        "Media enquiries: press@example.ac.uk",
        "since": "2010-06-02",
    },
    "reg:x:QMULSU": {
        "display_name": "QMSU",
        "followers": 9_100,
        "since": "2011-09-12",
        "description": "Queen Mary Students' Union. Run by students, for students.",
    },
    "reg:x:QMULLibrary": {
        "display_name": "QMUL Library",
        "followers": 4_350,
        "description": "Library Services at Queen Mary University of London. "
        "Mile End, Whitechapel, Charterhouse Square.",
        "since": "2012-02-20",
    },
    "reg:reddit:QMUL_Official": {
        "display_name": "QMUL_Official",
        "followers": 640,
        "description": "Communications team, Queen Mary University of London",
        "since": "2019-08-30",
    },
    "reg:bluesky:qmul.ac.uk": {
        "display_name": "Queen Mary University of London",
        "followers": 15_200,
        "since": "2023-11-14",
        "description": "Official Bluesky account of Queen Mary University of London.",
    },
    "reg:bluesky:qmulcareers.bsky.social": {
        "display_name": "QMUL Careers & Enterprise",
        "followers": 860,
        "since": "2024-02-01",
        "description": "Careers and Enterprise at Queen Mary.",
    },
    "reg:mastodon:qmul@mastodon.ac.uk": {
        "display_name": "Queen Mary University of London",
        "followers": 3_900,
        "since": "2022-11-08",
        "description": "Official account of Queen Mary University of London.",
    },
    "reg:mastodon:qmulcompsci@mastodon.ac.uk": {
        "display_name": "QMUL EECS",
        "followers": 1_250,
        "since": "2022-11-20",
        "description": "School of Electronic Engineering and Computer Science, Queen Mary.",
    },
    # Protected people's own accounts (handles from config).
    "person:x:HelenaMarshQM": {
        "display_name": "Helena Marsh",
        "followers": 7_600,
        "description": "President and Principal, Queen Mary University of London. Views my own.",
        "since": "2015-03-04",
        "verified": True,
    },
    "person:x:PriyaV_Physics": {
        "display_name": "Dr Priya Venkataraman",
        "followers": 2_140,
        "description": "Senior Lecturer in Physics @QMUL. Quantum, teaching, too much tea.",
        "since": "2016-10-11",
    },
    "person:bluesky:ifalkenrath.bsky.social": {
        "display_name": "Ingrid Falkenrath",
        "followers": 930,
        "since": "2023-09-03",
        "description": "Lecturer in Law, Queen Mary. Public law, courts, coffee.",
    },
    # Lookalikes of registered accounts and protected people.
    "imp:x:qmul_official": {
        "display_name": "Queen Mary University of London",
        "followers": 23,
        "description": "Official account of Queen Mary University of London. "
        "Scholarships, bursaries and student support. DM us.",
        "since": "2026-11-09",
        "avatar": "logo_misuse/fake-avatar-qmul_official",
    },
    "imp:x:QMULNews2": {
        "display_name": "QMUL News",
        "followers": 41,
        "since": "2026-11-03",
        "description": "Breaking news from Queen Mary University of London.",
        "avatar": "logo_misuse/fake-avatar-tinted",
    },
    "imp:x:HeIenaMarshQM": {
        "display_name": "Helena Marsh",
        "followers": 7,
        "description": "President and Principal, Queen Mary University of London. Views my own.",
        "since": "2026-11-12",
    },
    "imp:x:TAchterberq": {
        "display_name": "Dr Tobias Achterberg",
        "followers": 3,
        "description": "Vice-Principal (Education) at QMUL.",
        "since": "2026-11-15",
    },
    "imp:x:QueenMaryUni_": {
        "display_name": "Queen M\u0430ry University",
        "followers": 118,
        "description": "The official page of Queen Mary University London. "
        "Admissions & clearing help.",
        "since": "2026-10-28",
        "avatar": "logo_misuse/fake-avatar-qmul_official",
    },
    "imp:bluesky:queenmary.news": {
        "display_name": "Queen Mary University of London",
        "followers": 15,
        "since": "2026-11-06",
        "description": "Official news from Queen Mary University of London.",
        "avatar": "logo_misuse/fake-avatar-qmul_official",
    },
    "imp:bluesky:helena-marsh.bsky.social": {
        "display_name": "Prof. Helena Marsh",
        "followers": 4,
        "since": "2026-11-13",
        "description": "President & Principal of Queen Mary University of London.",
    },
    "imp:mastodon:qmu1@mastodon.social": {
        "display_name": "QMUL",
        "followers": 9,
        "since": "2026-11-11",
        "description": "Queen Mary University of London - official.",
        "avatar": "logo_misuse/fake-avatar-tinted",
    },
    "imp:reddit:QMUL_0fficial": {
        "display_name": "QMUL_0fficial",
        "followers": 2,
        "since": "2026-11-08",
        "description": "Official Queen Mary University of London account",
    },
    # Ordinary accounts that look University-ish but are not impersonating (hard negatives).
    "other:x:qmulmemes": {
        "display_name": "QMUL memes (not affiliated)",
        "followers": 2_300,
        "description": "Parody. Not affiliated with Queen Mary University of "
        "London. Memes by students, for students.",
        "since": "2021-10-02",
    },
    "other:x:QMULHockey": {
        "display_name": "QMUL Men's Hockey",
        "followers": 610,
        "description": "Men's hockey club, Queen Mary Students' Union. "
        "Training Weds at the Mile End stadium.",
        "since": "2017-09-18",
    },
    "other:x:NorthbridgeColl": {
        "display_name": "Northbridge College",
        "followers": 5_400,
        "description": "Official account of Northbridge College, Leeds.",
        "since": "2013-05-21",
        "verified": True,
    },
    # Ordinary accounts that recur (originals of reposted work, pile-ons).
    "user:x:jadeokafor_photo": {
        "display_name": "Jade Okafor \U0001f4f7",
        "followers": 3_480,
        "description": "Photographer. Mile End. Prints on request.",
        "since": "2018-04-09",
    },
    "user:bluesky:tomasz-writes.bsky.social": {
        "display_name": "Tomasz Wr\u00f3bel",
        "followers": 412,
        "since": "2023-10-01",
        "description": "English Lit @ QM. Poems, mostly about buses.",
    },
    "user:x:mia_reads": {
        "display_name": "Mia \U0001f4da",
        "followers": 212,
        "since": "2020-01-12",
        "description": "History @ QMUL. Tea, archives, cats.",
    },
    "user:x:ollie_mendes": {
        "display_name": "Ollie Mendes",
        "followers": 388,
        "since": "2019-09-23",
        "description": "Geography @ QMUL. Hockey, maps, losing things.",
    },
    "user:reddit:AutoModerator": {
        "display_name": "AutoModerator",
        "followers": 0,
        "since": "2012-01-05",
        "description": "",
    },
    "user:reddit:ellabellaLLB": {
        "display_name": "ellabellaLLB",
        "followers": 35,
        "description": "",
        "since": "2022-09-15",
    },
}

# Fake credentials in each provider's format. Each carries "Crestwatch" or "CWDEMO" so a reader
# sees at once that it is not real, while still matching the provider's pattern; words that
# secret scanners treat as documentation placeholders ("example", "fake", ...) are avoided on
# purpose, or the demo would show nothing.
FAKE_GITHUB_TOKEN = "ghp_CrestwatchDemoQ7m4ZdRt9sLpXv2NbK8yHe"
FAKE_AWS_KEY_ID = "AKIACWDEMOQ7M4ZDRT9S"
FAKE_AWS_SECRET = "Crestwatch/DemoQ7m4ZdRt9sLpXv2NbK8yHe3Wf"
FAKE_SLACK_TOKEN = "xoxb-4820193756-5920384716253-CrestwatchDemoQ7m4ZdRt9s"
FAKE_STRIPE_KEY = "sk_live_CrestwatchDemoQ7m4ZdRt9s"
FAKE_GOOGLE_KEY = "AIzaSyCrestwatchDemo-Q7m4ZdRt9sLpXv2NbK"

for _value, _length in [
    (FAKE_GITHUB_TOKEN, 40),
    (FAKE_AWS_KEY_ID, 20),
    (FAKE_AWS_SECRET, 40),
    (FAKE_STRIPE_KEY, 32),
    (FAKE_GOOGLE_KEY, 39),
]:
    assert len(_value) == _length, (_value, len(_value))
assert len(FAKE_SLACK_TOKEN.rsplit("-", 1)[1]) == 24

BENIGN: list[Draft] = [
    # Open days, admissions, arrivals.
    D(
        "Open day at Mile End today and the campus looked gorgeous in the sun. The canal walk to "
        "the Queens' Building sold it for my daughter."
    ),
    D(
        "Went to the QMUL open day, the maths taster lecture on prime numbers was genuinely the best "
        "hour of my week. Firmly top of the UCAS list now."
    ),
    D(
        "Anyone else at the Queen Mary postgrad fair on Saturday? Trying to decide between the MSc "
        "in Data Science and the one in AI."
    ),
    D(
        "Moving into halls at Mile End next week and I have packed four frying pans and no "
        "pillows. Classic."
    ),
    D("Just got my offer from Queen Mary for Medicine!!! Barts here I come \U0001f62d\U0001f389"),
    D(
        "Offer holder day at QM was lovely. The student ambassador who showed us round the library "
        "deserves a pay rise."
    ),
    # Graduation and alumni.
    D(
        "Graduated from Queen Mary today. Three years, two flat moves, one pandemic hangover and a "
        "2:1 in Economics. Thank you Mum."
    ),
    D(
        "The graduation ceremony at the Barbican was so well run. Proud of my brother, first in our "
        "family to get a degree."
    ),
    D("Ten years since I graduated from QMUL and I still dream about the Drapers' Arms quiz."),
    # Research news, reshared with comment.
    D(
        "Fascinating QMUL research on microplastics in the Thames. Worth a read if you swim in "
        "rivers (don't)."
    ),
    D(
        "Queen Mary astronomers helped spot a new exoplanet? My old physics lecturer would be thrilled."
    ),
    D(
        "Lovely piece on the Queen Mary dental school's outreach clinic in Tower Hamlets. More of "
        "this please."
    ),
    D(
        "Really enjoyed the public lecture at Queen Mary tonight on the history of the East End "
        "docks. Packed room, great questions."
    ),
    D("The QMUL economics blog post on rent in London is depressing but accurate."),
    D(
        "Good to see Queen Mary climbing in the research rankings. Whitechapel deserves the attention."
    ),
    # Lectures, study, library.
    D(
        "9am lecture on thermodynamics, rain outside, the Great Hall heating on full blast. Living the dream."
    ),
    D(
        "Library at Mile End is rammed. Found the last desk on the third floor next to a man eating "
        "an entire rotisserie chicken."
    ),
    D("Honestly the QMUL library's silent study floor is the only place my brain works."),
    D(
        "Week 7 and I have finally understood what a Fourier transform is. Only took three lecturers."
    ),
    D(
        "Our seminar tutor brought biscuits to the Constitutional Law seminar. Instant first-class "
        "teaching in my book."
    ),
    D(
        "Group project meeting in the Francis Bancroft building: three of us turned up, one brought "
        "the wrong laptop charger."
    ),
    D("Does anyone know if QMplus is down or is it just my wifi?"),
    D("Reading week plan: read. Reading week reality: Netflix and one paragraph of my essay."),
    D("The maths help desk in the library saved my linear algebra coursework. Go, they're lovely."),
    D("Shout out to the EECS lab technicians who fixed my Raspberry Pi at 5pm on a Friday."),
    # Campus life and food.
    D("Mile End campus by the canal at sunset is criminally underrated."),
    D("The Curve's jacket potatoes are carrying my entire degree."),
    D(
        "Ducks on the Regent's Canal by the Queens' Building are fatter than ever. Someone is "
        "feeding them Greggs."
    ),
    D("QMSU pub quiz tonight and our team name is 'Quizteama Aguilera'. We will lose."),
    D("Joined the Queen Mary climbing society and can now do one (1) pull-up. Progress."),
    D(
        "The Christmas market on the Mile End campus is back next week, apparently with mulled "
        "apple juice for those of us with 9ams."
    ),
    D(
        "Shoutout to the security guard at the Mile End Road gate who says good morning to every "
        "single person."
    ),
    D("Whitechapel campus in the fog this morning looked like a period drama."),
    D("Our flat did a Diwali dinner and the kitchen in Varey House has never smelt better."),
    D(
        "Charterhouse Square in autumn is the prettiest corner of London and I will not be taking "
        "questions."
    ),
    # Complaints that break no rule.
    D("The queue for the Curve at 12:55 is a human rights violation. (It isn't. But it's long.)"),
    D("Why is every printer in the library broken the day before a deadline. Every. Single. Time."),
    D(
        "The lifts in the Engineering building have been out for a fortnight. Some of us have bad knees."
    ),
    D("Mile End tube at 8:50 is a contact sport. Please can lectures start at 10."),
    D(
        "Timetabling put my two seminars at opposite ends of the campus with five minutes between "
        "them. Cardio, I suppose."
    ),
    D("Wish the halls wifi could cope with more than two people streaming at once."),
    D(
        "Accommodation office took nine days to fix our shower. Cold showers build character, apparently."
    ),
    D("Still waiting for my coursework marks from October. Week 8 now. Feedback please!"),
    D(
        "Strike dates announced for December. Support the staff, but I'm nervous about my dissertation "
        "supervision."
    ),
    # Staff voices.
    D("Marking season has begun. Forty-two essays on judicial review and one very loyal cat."),
    D(
        "Proud of my final-year project students: robots that sort recycling, an app for the food "
        "bank, and a genuinely good chess engine."
    ),
    D(
        "Teaching tip from a tired lecturer: your students can tell when you love the topic. Today it "
        "was Maxwell's equations."
    ),
    D(
        "Our lab at QMUL is hiring a postdoc in computational biology. Flexible hours, friendly group, "
        "excellent coffee machine."
    ),
    D(
        "Gave my first lecture to 300 first-years today. Mic worked, slides worked, I tripped on "
        "the step. Two out of three."
    ),
    # Londoners and alumni.
    D(
        "Walked past Queen Mary on the way to Victoria Park and there was a brass band rehearsing on "
        "the lawn. East London at its best."
    ),
    D(
        "My nan used to work at the People's Palace before it was part of Queen Mary. She says the "
        "ballroom was the finest in the East End."
    ),
    D(
        "Mile End Park at lunchtime is full of QMUL students doing their readings on the grass. "
        "Very wholesome."
    ),
    D(
        "Met a QMUL student on the 25 bus who was revising anatomy flashcards out loud. Learnt "
        "where my pancreas is."
    ),
    D("Cycled the canal from Limehouse to the Queen Mary campus. Only one near miss with a goose."),
    D(
        "Booked my kid onto the Queen Mary science summer school. She wants to be a volcanologist "
        "this week."
    ),
    # Sport and societies.
    D("QMUL women's football won 4-1 on Wednesday! Best performance of the season."),
    D("Queen Mary rowing club out on the water at 6am in November. Respect, madness, both."),
    D("Varsity against King's is next month. Get your tickets before they go."),
    D(
        "The Queen Mary Drama Society's Macbeth was brilliant. The witches were terrifying in the best way."
    ),
    D("Chess club at QMSU beat UCL last night and we will be insufferable about it for weeks."),
    # Misc.
    D("Does anyone know if the Mile End gym is open on Sundays during reading week?"),
    D("Lost a black umbrella in the Bancroft building. It has a duck handle. Sentimental value."),
    D(
        "Sign up for the QMUL volunteering fair tomorrow. The food bank needs hands before Christmas."
    ),
    D("PhD survival tip: the Whitechapel library has the comfiest chairs in the whole of London."),
    D(
        "First snow of the year? No, just someone's pillow burst on the fourth floor of Maynard House."
    ),
    D(
        "Spent my afternoon at the QMUL careers fair and came away with nine tote bags and one "
        "actual lead."
    ),
]

# Reddit threads: a title and a longer body, as people write on r/QMUL and r/UniUK.
REDDIT_BENIGN: list[Draft] = [
    # Weekly chat threads: Reddit posts without a title of their own are comments in these.
    *[
        D(
            "Chat about anything QMUL here: questions, rants, lost property, society plugs. "
            "Be kind and follow the subreddit rules.",
            by="user:reddit:AutoModerator",
            title=f"Weekly chat thread - week of {day} November 2026",
            key=f"megathread_{day}",
            day=day,
        )
        for day in (2, 9, 16)
    ],
    D(
        "Second year CompSci here. I ended up living in Stratford and the Central line is fine, "
        "about 15 minutes door to door. Bow is cheaper but the rooms go fast. Avoid anything that "
        "wants six months up front.",
        title="Where do people live in second year?",
    ),
    D(
        "I've heard the medicine course at Whitechapel is intense in the first year. Anyone from "
        "Barts willing to say how many contact hours a week it really is? Trying to plan a part-time job.",
        title="Barts medicine contact hours?",
    ),
    D(
        "Just finished the Law LLB at QM and wanted to say the careers team were genuinely useful. "
        "They read my training contract applications three times each. Use them!",
        title="PSA: use the careers service",
    ),
    D(
        "Is it normal that my personal tutor hasn't replied to two emails? Not angry, just not sure "
        "if I should book office hours or go through the school office instead.",
        title="Personal tutor not replying - what's the etiquette?",
    ),
    D(
        "The silent floor in the Mile End library has become a phone-call floor lately. Is there a "
        "way to report it without being that person? Asking for a friend (me).",
        title="Library noise",
    ),
    D(
        "Looking for people to start a board game society at QMUL. We have Catan, Ticket to Ride "
        "and one very battered copy of Risk. Thursdays in the Blomeley Centre?",
        title="Board games group?",
    ),
    D(
        "Went through clearing in August and honestly Queen Mary has been great. Small seminars, "
        "friendly flatmates, good food nearby. Don't let the clearing stigma get to you.",
        title="Clearing students - it's fine!",
    ),
    D(
        "Our department moved all deadlines to the same Friday in week 11. Anyone know if there's a "
        "student rep we can raise it with? It's not anyone's fault, just a clash.",
        title="Deadline clash week 11",
    ),
    D(
        "Does the Mile End campus have anywhere to microwave food? The Curve is too expensive every "
        "day and I'm bringing lunch from home now.",
        title="Microwaves on campus",
    ),
    D(
        "Comparing MSc offers from Queen Mary, King's and Queen Margaret University in Edinburgh. "
        "QM's module list looks best for what I want. Any current students want to share thoughts?",
        title="QM vs KCL vs QMU for MSc?",
    ),
    D(
        "Is the Queen Mary gym worth it compared to the council one in Mile End Park? The student "
        "price looks good but the hours are shorter.",
        title="Campus gym worth it?",
    ),
    D(
        "Anyone else find the Queens' Building impossible to navigate? I have walked past the same "
        "portrait four times looking for room 2.15.",
        title="Queens' Building is a maze",
    ),
]

HARD_NEGATIVES: list[Draft] = [
    # Profanity without a target, song lyrics, idiom.
    D(
        "Walking into my 9am blasting a song whose whole chorus is 'f*** the landlord, f*** the rent' "
        "and honestly? Relatable.",
        tags=("profanity",),
    ),
    D("This bloody essay on tort law is going to kill me. Send snacks.", tags=("idiom",)),
    D(
        "I would murder a Greggs sausage roll right now. Library closes at 2am, send help.",
        tags=("idiom",),
    ),
    D("Absolutely smashed my viva today. Dead chuffed.", tags=("idiom",)),
    D(
        "That was a killer lecture on the French Revolution, the slides were savage.",
        tags=("idiom",),
    ),
    D(
        "Lyric of the day, from the band my flatmate is in: 'burn it all down, burn it down, Mile "
        "End in the rain'. Gig at the SU on Friday!",
        tags=("lyrics",),
    ),
    # Reported speech about abuse, counter-speech, support.
    D(
        "Someone on the 25 bus shouted 'go back to your own country' at my friend today. Reported it "
        "to TfL. QMUL's Report and Support team were brilliant afterwards.",
        tags=("reported_speech",),
    ),
    D(
        "Important thread: if someone threatens you online, screenshot it and use Report and Support. "
        "Don't reply to them, don't engage.",
        tags=("counter_speech",),
    ),
    D(
        "Powerful talk at Queen Mary today from a journalist who read out the abuse she gets every "
        "day. Heavy, but everyone should hear it.",
        tags=("reported_speech",),
    ),
    D(
        "Our anti-racism workshop covered how slurs get used as 'jokes' in group chats. Uncomfortable "
        "and necessary.",
        tags=("counter_speech",),
    ),
    # Friendly banter.
    D(
        "Has anyone seen a blue QM lanyard in the Curve? Asking for a friend. The friend is me.",
        by="user:x:ollie_mendes",
        key="ollie_lanyard",
    ),
    D(
        "@ollie_mendes you absolute muppet, you left your lanyard in the Curve AGAIN \U0001f602",
        tags=("banter",),
        reply="ollie_lanyard",
    ),
    D("My flatmate is a menace who eats my cheese and I love him dearly.", tags=("banter",)),
    D(
        "Lost the pub quiz to the Physics PhDs. They are nerds and I hate them (I love them).",
        tags=("banter",),
    ),
    # First names shared with protected people, other people's names.
    D(
        "Massive thanks to Helena at the library help desk who found the book I'd given up on.",
        tags=("first_name",),
    ),
    D(
        "Priya from my seminar group made the best samosas for the end-of-term party.",
        tags=("first_name",),
    ),
    D(
        "Tobias in our flat has started a sourdough starter called Kevin. It lives in the fridge.",
        tags=("first_name",),
    ),
    D(
        "My friend Sam got a first in his dissertation and I'm so proud of him.",
        tags=("first_name",),
    ),
    # Other universities and similar names.
    D(
        "Queen Margaret University in Edinburgh has a lovely campus, visited my cousin there last week.",
        tags=("other_university",),
    ),
    D(
        "Queen's University Belfast open day was great, really friendly students.",
        tags=("other_university",),
    ),
    D(
        "Mary Immaculate College in Limerick just won the camogie league. Up the Mary I!",
        tags=("other_university",),
    ),
    D(
        "Touring Northbridge College in Leeds with my son. The new library is fantastic.",
        media=("other/northbridge-open-day",),
        tags=("other_university", "other_logo"),
    ),
    D(
        "Northbridge College's new hoodies are out, look at that seal.",
        by="other:x:NorthbridgeColl",
        media=("other/northbridge-merch",),
        tags=("other_university", "other_logo"),
    ),
    # Security advice, numbers and addresses that are public and fine.
    D(
        "Reminder from IT Services: nobody from the University will ever ask for your password. "
        "If an email asks for it, report it as phishing.",
        tags=("security_advice",),
    ),
    D(
        "Mile End campus is at Mile End Road, London E1 4NS. Nearest tube is Mile End on the Central "
        "and District lines.",
        tags=("public_address",),
    ),
    D(
        "Exam timetable is out: my papers are 12 January and 19 January. Plenty of time (panic).",
        tags=("dates",),
    ),
    D(
        "Room 2.01 in the Bancroft building, 10:00 to 16:00, bring your student card for the careers "
        "drop-in.",
        tags=("numbers",),
    ),
    D(
        "The 2026/27 Senate election results are on the University website, congratulations to the "
        "new student members!",
        tags=("marker_word",),
    ),
    D(
        "Confidential tip: the cheese toasties in the Village Shop are better than the Curve's.",
        tags=("marker_word",),
    ),
    # Parody and clubs using the University name.
    D("When the Curve runs out of chips at 12:30 #QMUL", by="other:x:qmulmemes", tags=("parody",)),
    D(
        "Training tonight at 7, all welcome, sticks provided. #QMUL",
        by="other:x:QMULHockey",
        tags=("club",),
    ),
    D(
        "Open letter to the ducks of the Regent's Canal: we will not share our sandwiches.",
        by="other:x:qmulmemes",
        tags=("parody",),
    ),
]

# Posts by registered accounts and the protected people themselves: benign, and the official
# ones may carry the logos.
OFFICIAL: list[Draft] = [
    D(
        "Congratulations to the Class of 2026! Share your graduation photos with #QMULGrad.",
        by="reg:x:QMUL",
        media=("official/graduation-banner",),
        key="off_grad",
        tags=("authorised_logo",),
    ),
    D(
        "Our Open Day is on Saturday 14 November. Book your place to tour the Mile End campus and "
        "meet our students.",
        by="reg:x:QMUL",
        key="off_openday",
    ),
    D(
        "New research from Queen Mary shows how urban trees cool London streets by up to 4C in summer.",
        by="reg:x:QMULNews",
        key="off_trees",
    ),
    D(
        "Queen Mary researchers have been awarded funding to study air quality around East London "
        "schools.",
        by="reg:x:QMULNews",
        media=("official/research-card",),
        tags=("authorised_logo",),
    ),
    D(
        "The Library is open 24/7 from week 10 until the end of the January exams. Bring your QM "
        "card.",
        by="reg:x:QMULLibrary",
        key="off_library",
    ),
    D(
        "New in the Library: 200 more study spaces on the ground floor of the Mile End library.",
        by="reg:x:QMULLibrary",
        key="off_spaces",
    ),
    D(
        "The SU elections are open! Vote for your student officers by Friday.",
        by="reg:x:QMULSU",
        key="off_su",
    ),
    D(
        "Welcome to r/QMUL's official University account. We'll share news and answer questions "
        "where we can. For urgent issues, contact the Advice and Counselling Service.",
        by="reg:reddit:QMUL_Official",
        title="Hello from the QMUL Communications team",
        key="off_reddit",
    ),
    D(
        "Exam arrangements for January 2027 are now on the student portal. If you need adjustments, "
        "contact Disability and Dyslexia Service by 4 December.",
        by="reg:reddit:QMUL_Official",
        title="January 2027 exam arrangements",
        key="off_reddit_exams",
    ),
    D(
        "Join us for Queen Mary's winter lecture: 'What the Thames remembers', 3 December, People's "
        "Palace.",
        by="reg:bluesky:qmul.ac.uk",
        media=("official/lecture-poster",),
        key="off_bsky",
        tags=("authorised_logo",),
    ),
    D(
        "Queen Mary is proud to be a University of Sanctuary. Read about our scholarships for "
        "refugee students.",
        by="reg:bluesky:qmul.ac.uk",
        key="off_bsky_sanct",
    ),
    D(
        "Our employer insight week is back: 24 to 28 November, with 40 employers on campus.",
        by="reg:bluesky:qmulcareers.bsky.social",
        key="off_careers",
    ),
    D(
        "Queen Mary welcomes the new Chancellor, installed at a ceremony at the People's Palace today.",
        by="reg:mastodon:qmul@mastodon.ac.uk",
        key="off_masto",
    ),
    D(
        "Term dates for 2027/28 are now published on our website.",
        by="reg:mastodon:qmul@mastodon.ac.uk",
        key="off_masto_terms",
    ),
    D(
        "EECS seminar this Thursday: 'Robust speech recognition for accented English'. All welcome.",
        by="reg:mastodon:qmulcompsci@mastodon.ac.uk",
        media=("official/eecs-seminar",),
        tags=("authorised_logo",),
        key="off_eecs",
    ),
    D(
        "Delighted to open the new Whitechapel research building today. Thank you to every team that "
        "made it happen.",
        by="person:x:HelenaMarshQM",
        key="helena_own",
    ),
    D(
        "Lovely problem class today: the hydrogen atom, forty students, zero sleeping. A record.",
        by="person:x:PriyaV_Physics",
        key="priya_own",
    ),
    D(
        "New paper with colleagues on judicial review and emergency powers, open access.",
        by="person:bluesky:ifalkenrath.bsky.social",
        key="ingrid_own",
    ),
    # A reply from an official account: that question got its answer.
    D(
        "@mia_reads Yes, the ground floor of the Mile End library is open 24/7 with your QM card.",
        by="reg:x:QMULLibrary",
        reply="q_library_answered",
        key="off_answer",
    ),
]

QUESTIONS_ANSWERED = [
    D(
        "@QMULLibrary is the 24/7 opening at Mile End only or Whitechapel too?",
        reply="off_library",
        by="user:x:mia_reads",
        key="q_library_answered",
    ),
]

ACCOUNT_HYGIENE: list[Draft] = [
    D(
        "@QMULLibrary the self-service returns machine has been broken for two weeks, who do we tell? "
        "Asked here on the 5th too.",
        "account_hygiene",
        reply="off_spaces",
        tags=("unanswered",),
    ),
    D(
        "@QMUL when will the open day slots for 28 November be released? Nothing on the website.",
        "account_hygiene",
        reply="off_openday",
        tags=("unanswered",),
    ),
    D(
        "Is the employer insight week open to postgrads as well? Can't find it on the page.",
        "account_hygiene",
        reply="off_careers",
        tags=("unanswered",),
    ),
    D(
        "Could you say whether the Chancellor's ceremony will be streamed? Family abroad would love "
        "to watch.",
        "account_hygiene",
        reply="off_masto",
        tags=("unanswered",),
    ),
    D(
        "Does the 4 December deadline apply to people who already have a support plan from last year?",
        "account_hygiene",
        reply="off_reddit_exams",
        tags=("unanswered",),
    ),
    # Stale content on a registered account.
    D(
        "Applications for our summer 2024 internship scheme close on Friday - don't miss out!",
        "account_hygiene",
        by="reg:bluesky:qmulcareers.bsky.social",
        tags=("stale_content",),
        day=2,
    ),
    # A registered account that may not use the logos, using them.
    D(
        "SU elections: vote now! Official Queen Mary ballot.",
        "logo_misuse",
        by="reg:x:QMULSU",
        media=("logo_misuse/su-election-poster",),
        tags=("unauthorised_account",),
    ),
]

CONFIDENTIAL: list[Draft] = [
    D(
        f'Someone left the Senate paper in the printer. Quote: "{Q["senate_model"]}" So they KNOW '
        "the new rules make degrees worse and they're doing it anyway.",
        "confidential",
        tags=("document_copy", "marker"),
        on="reddit",
        title="Leaked Senate paper on degree classification",
    ),
    D(
        f'Mate in Estates forwarded me this, marked strictly confidential: "{Q["memo_posts"]}" '
        "Merry Christmas from SET.",
        "confidential",
        tags=("document_copy", "marker"),
    ),
    D(
        f"They're planning {Q['memo_depot']}. Not for circulation apparently, so here you go.",
        "confidential",
        tags=("document_copy", "marker"),
    ),
    D(
        f"Big news from QMUL a week early: a blood test {Q['embargo_result']}. Embargoed until 2 Dec "
        "but you heard it here first \U0001f92b",
        "confidential",
        tags=("embargo", "document_copy"),
        day=20,
    ),
    D(
        "Council paper doing the rounds says the deficit for 2026/27 is 31 million and calls it "
        "'reserved business - internal only'. Redundancies next year then.",
        "confidential",
        tags=("marker",),
    ),
    D(
        "well well well \U0001f440 look what turned up in my inbox",
        "confidential",
        media=("screenshots/memo-email",),
        tags=("screenshot", "marker"),
    ),
    D(
        "Reserved business my foot. Here's the bit they don't want students to see.",
        "confidential",
        media=("screenshots/senate-paper",),
        tags=("screenshot", "marker"),
    ),
    D(
        "Pretty sure this wasn't meant for the whole channel",
        "confidential",
        media=("screenshots/embargo-chat",),
        tags=("screenshot", "embargo"),
    ),
    # Secrets and credentials.
    D(
        "Why does my deploy to the EECS server keep failing? config below\n"
        f"AWS_ACCESS_KEY_ID={FAKE_AWS_KEY_ID}\nAWS_SECRET_ACCESS_KEY={FAKE_AWS_SECRET}",
        "confidential",
        tags=("secret", "aws_key"),
        on="reddit",
        title="Deploy keeps failing on the uni server, help",
    ),
    D(
        f"GitHub Actions for the coursework autograder won't authenticate, token is {FAKE_GITHUB_TOKEN} "
        "any ideas?",
        "confidential",
        tags=("secret", "github_token"),
    ),
    D(
        f"Our society Slack bot broke again. Bot token {FAKE_SLACK_TOKEN} if anyone can have a look.",
        "confidential",
        tags=("secret", "slack_token"),
        on="mastodon",
    ),
    D(
        f"Selling society tickets through Stripe, key is {FAKE_STRIPE_KEY}, is that the right one to "
        "put in the website?",
        "confidential",
        tags=("secret", "stripe_key"),
    ),
    D(
        "Trying to SSH into the lab machine, pasted my key into the wrong box, does this look right?\n"
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAdemoFAKEkeyCRESTWATCHnotREAL0000\n"
        "-----END RSA PRIVATE KEY-----",
        "confidential",
        tags=("secret", "private_key"),
        on="reddit",
        title="SSH key help (EECS lab)",
    ),
    D(
        "Staff room wifi password is Mil3End!Staff2026 if any PGTAs need it, network QM-STAFF.",
        "confidential",
        tags=("secret", "password"),
        on="mastodon",
    ),
    D(
        f"Maps on the society site broke, our Google key {FAKE_GOOGLE_KEY} is probably over quota.",
        "confidential",
        tags=("secret", "google_api_key"),
        on="bluesky",
    ),
]

COPYRIGHT: list[Draft] = [
    D(
        f'Anyone know how to do this one? "{Q["exam_q1b"]}" asking for a friend whose exam is in '
        "January \U0001f440",
        "copyright",
        "confidential",
        tags=("exam_paper", "document_copy"),
    ),
    D(
        f"{Q['exam_q3a']} - this is on the ECS401U paper this year, revise recursion lads",
        "copyright",
        "confidential",
        tags=("exam_paper", "document_copy"),
        on="reddit",
        title="ECS401U exam leak??",
    ),
    D(
        f'The big question on the procedural programming exam: "{Q["exam_q4"]}" Start writing '
        "your queue code now.",
        "copyright",
        "confidential",
        tags=("exam_paper", "document_copy"),
    ),
    D(
        "Photo of the ECS401U paper someone left in the photocopier. You're welcome.",
        "copyright",
        "confidential",
        media=("screenshots/exam-paper",),
        tags=("exam_paper", "screenshot"),
    ),
    D(
        f'Uploaded the SPA5219 lecture 7 notes to a notes site, best bit: "{Q["lecture_72"]}"',
        "copyright",
        tags=("lecture_notes", "document_copy"),
        on="bluesky",
    ),
    D(
        f"Key line from quantum lecture 7 if you skipped it: {Q['lecture_73']} Full notes in my "
        "Google Drive, DM for the link.",
        "copyright",
        tags=("lecture_notes", "document_copy"),
        on="mastodon",
    ),
    D(
        "Selling the full set of QMUL ECS401U lecture slides, lab solutions and past papers, £20 "
        "via PayPal, DM me.",
        "copyright",
        tags=("selling_material",),
    ),
]

REPOSTED: list[Draft] = [
    D(
        "Mile End in the rain: / the canal holds the sky / like a borrowed coat, / and the 25 bus "
        "forgives nobody.",
        by="user:bluesky:tomasz-writes.bsky.social",
        key="poem_original",
        day=3,
    ),
    D(
        "Mile End in the rain: / the canal holds the sky / like a borrowed coat, / and the 25 bus "
        "forgives nobody. (wrote this on my walk home \u270d\ufe0f)",
        "reposted_work",
        tags=("text_copy",),
        on="x",
        day=9,
    ),
    D(
        "Night sky from the roof of the Queens' Building, a four-hour exposure. Prints available.",
        by="user:x:jadeokafor_photo",
        media=("photos/jade-night-sky",),
        key="photo_original",
        day=4,
    ),
    D(
        "My shot of the stars over Mile End last night \U0001f60d",
        "reposted_work",
        media=("photos/jade-night-sky-repost",),
        tags=("image_copy",),
        on="mastodon",
        day=11,
    ),
    D(
        "Study tips that got me a first: 1) do past papers under timed conditions from week 6, "
        "2) explain each topic out loud to a rubber duck, 3) sleep before exams, not after.",
        by="user:reddit:ellabellaLLB",
        on="reddit",
        key="tips_original",
        day=5,
        title="Study tips from a first-class LLB graduate",
    ),
    D(
        "Study tips that got me a first: 1) do past papers under timed conditions from week 6, "
        "2) explain each topic out loud to a rubber duck, 3) sleep before exams, not after. "
        "Follow for more!",
        "reposted_work",
        tags=("text_copy",),
        on="x",
        day=13,
    ),
    D(
        "Took this from the roof of my halls, can't believe my phone managed it",
        "reposted_work",
        media=("photos/jade-night-sky-crop",),
        tags=("image_copy",),
        on="bluesky",
        day=15,
    ),
]

COMPLAINTS: list[Draft] = [
    D(
        "Our formal grievance against Dr Tobias Achterberg has now gone to stage two. Three of us are "
        "taking it further and HR knows it.",
        "complaints_legal",
        tags=("grievance",),
    ),
    D(
        "Employment tribunal next month: a former lab technician v Queen Mary University of London. "
        "Unfair dismissal claim against Dr Ingrid Falkenrath's department.",
        "complaints_legal",
        tags=("tribunal",),
        on="reddit",
        title="QMUL at employment tribunal",
    ),
    D(
        "I put in a formal complaint about Samuel Okonkwo-Reid deleting our comments on the SU "
        "page. Now escalating to the OIA.",
        "complaints_legal",
        tags=("complaint",),
    ),
    D(
        "My academic appeal was rejected by Dr Priya Venkataraman without even reading my mitigating "
        "circumstances. Has anyone taken legal action against QMUL? Looking for a solicitor.",
        "complaints_legal",
        tags=("legal_action",),
        on="reddit",
        title="Anyone sued QMUL over an appeal?",
    ),
    D(
        "Can't say much, but the internal investigation into Professor Helena Marsh's office is a "
        "farce. Whistleblowing complaint going to the OfS next.",
        "complaints_legal",
        tags=("investigation",),
        on="bluesky",
    ),
    D(
        "The disciplinary hearing for the lecturer in Law is this Friday. It's Ingrid Falkenrath, "
        "everyone in the department knows.",
        "complaints_legal",
        tags=("disciplinary",),
        on="mastodon",
    ),
    D(
        "Solicitor's letter sent to Queen Mary today on behalf of the students in the housing "
        "dispute. Samuel Okonkwo-Reid is named in it.",
        "complaints_legal",
        tags=("legal_action",),
    ),
]

PERSONAL_DATA: list[Draft] = [
    D(
        "Helena Marsh lives at 14 Tredegar Square, London E3 5AD. Go and tell her what you think of "
        "the cuts.",
        "personal_data",
        "harassment",
        tags=("address", "doxxing", "incitement"),
    ),
    D(
        "Dr Tobias Achterberg's mobile is 07700 900417. Ring him and ask why he cancelled our "
        "exams.",
        "personal_data",
        tags=("phone_number", "doxxing"),
    ),
    D(
        "Found a student card on the Central line: Amelia Hart, student number 230145678, "
        "date of birth 12/03/2005. DM me if it's yours!",
        "personal_data",
        tags=("student_id", "date_of_birth", "name"),
    ),
    D(
        "Priya Venkataraman's flat is Flat 3, 27 Coborn Road, London E3 2DA and her landline is "
        "020 7946 0832. Just so everyone knows.",
        "personal_data",
        "harassment",
        tags=("address", "phone_number", "doxxing"),
    ),
    D(
        "Samuel Okonkwo-Reid's personal email is sam.okr88@example.com, work one is "
        "s.okonkwo-reid@example.ac.uk. Flood them.",
        "personal_data",
        "harassment",
        tags=("email", "doxxing", "incitement"),
    ),
    D(
        "Whoever reported our society: we know it was Daniel Price, 07700 900126, 2nd year Law.",
        "personal_data",
        "harassment",
        tags=("phone_number", "doxxing"),
    ),
    D(
        "The new lab manager is QMS-104233 on the staff system, her name is Karen Hollis and she "
        "lives in Bow. Make of that what you will.",
        "personal_data",
        tags=("staff_id", "name"),
    ),
    D(
        "Can someone submit my coursework? My login is 240987654 and my date of birth is 04/07/2004 "
        "for the security question.",
        "personal_data",
        tags=("student_id", "date_of_birth"),
    ),
    D(
        "Spreadsheet of everyone in the housing group chat, names, phones, addresses. Enjoy.",
        "personal_data",
        media=("screenshots/student-list",),
        tags=("screenshot", "phone_number", "student_id", "email"),
    ),
    D(
        "Ingrid Falkenrath's kids go to the primary school on Wager Street, E3. Thought you should know.",
        "personal_data",
        "harassment",
        tags=("family", "doxxing", "threat"),
        on="bluesky",
    ),
    D(
        "My tutor's number is 020 7946 0188, she said text any time but she never answers lol",
        "personal_data",
        tags=("phone_number",),
        on="mastodon",
    ),
    D(
        "Lost: blue rucksack near the Bancroft building, has my student card (QM231122334) inside. "
        "Please hand it to security!",
        "personal_data",
        tags=("student_id",),
        on="mastodon",
    ),
]

HARASSMENT: list[Draft] = [
    D(
        "@HelenaMarshQM you should be scared to show your face on campus. We know where you park.",
        "harassment",
        tags=("threat",),
        reply="helena_own",
    ),
    D(
        "Dr Achterberg is a spineless little rat and everyone in the department knows it.",
        "harassment",
        tags=("insult",),
    ),
    D(
        "People like Priya Venkataraman shouldn't be teaching here. Go back to where you came from.",
        "harassment",
        tags=("identity_attack",),
    ),
    D(
        "@QMUL your staff are a joke. Someone should teach Okonkwo-Reid a lesson he won't forget.",
        "harassment",
        tags=("threat",),
        reply="off_openday",
    ),
    D(
        "Falkenrath is a useless cow. Hope someone keys her car in the staff car park.",
        "harassment",
        tags=("insult", "threat"),
        on="bluesky",
        reply="ingrid_own",
    ),
    D(
        "The Islamic Society lot at QMUL are all extremists, every single one of them.",
        "harassment",
        tags=("identity_attack",),
        on="reddit",
        title="Unpopular opinion",
    ),
    D(
        "To the girl in the blue coat in the Queens' Building: I've been watching you all week and "
        "I know your timetable now.",
        "harassment",
        tags=("stalking", "threat"),
    ),
    D(
        "@PriyaV_Physics women like you only got the job to tick a box. Pathetic.",
        "harassment",
        tags=("identity_attack", "sexism"),
        reply="priya_own",
    ),
    D(
        "@PriyaV_Physics nobody wants you here, quit before you're pushed.",
        "harassment",
        tags=("bullying",),
        reply="priya_own",
    ),
    D(
        "@PriyaV_Physics still here? Everyone's laughing at you in the group chat.",
        "harassment",
        tags=("bullying",),
        reply="priya_own",
    ),
    D(
        "If they cut our course I swear I will burn the Queens' Building down with the managers "
        "inside.",
        "harassment",
        tags=("threat",),
        on="mastodon",
    ),
    D(
        "The trans students at QM are mentally ill and should be kept out of the toilets.",
        "harassment",
        tags=("identity_attack",),
        on="bluesky",
    ),
    D(
        "Samuel Okonkwo-Reid is a fat useless waste of space, block him everyone.",
        "harassment",
        tags=("insult",),
        on="mastodon",
    ),
    D(
        "@HelenaMarshQM resign or we'll make you. Your family isn't safe either.",
        "harassment",
        tags=("threat",),
        reply="helena_own",
    ),
]

IMPERSONATION: list[Draft] = [
    D(
        "\U0001f393 Hardship scholarship: £2,000 for current students. DM us your student number and "
        "bank details to apply before Friday.",
        "impersonation",
        "logo_misuse",
        by="imp:x:qmul_official",
        tags=("lookalike_handle", "scam"),
        media=("logo_misuse/scholarship-flyer",),
        day=10,
    ),
    D(
        "Congratulations graduates! Verify your degree certificate here to receive your digital "
        "copy: qmul-verify.example.net",
        "impersonation",
        "logo_misuse",
        by="imp:x:qmul_official",
        media=("logo_misuse/phishing-page",),
        tags=("lookalike_handle", "phishing"),
        day=12,
    ),
    D(
        "New profile picture for the new academic year \U0001f393",
        "impersonation",
        "logo_misuse",
        by="imp:x:qmul_official",
        media=("logo_misuse/fake-avatar-qmul_official",),
        tags=("lookalike_handle", "copied_avatar"),
        day=9,
    ),
    D(
        "Reminder: all students must re-confirm their enrolment by DM today or lose access to QMplus.",
        "impersonation",
        by="imp:x:qmul_official",
        tags=("lookalike_handle", "scam"),
        day=14,
    ),
    D(
        "BREAKING: Queen Mary University of London to close the Whitechapel campus in 2027, staff "
        "told this morning.",
        "impersonation",
        by="imp:x:QMULNews2",
        tags=("affix_handle",),
        day=5,
    ),
    D(
        "BREAKING: all January exams cancelled due to a cyber attack. More soon.",
        "impersonation",
        by="imp:x:QMULNews2",
        tags=("affix_handle",),
        day=8,
    ),
    D(
        "Statement from the University: tuition fees for international students will double from "
        "September.",
        "impersonation",
        by="imp:x:QMULNews2",
        tags=("affix_handle",),
        day=16,
    ),
    D(
        "After much reflection I have decided to resign as President and Principal with immediate "
        "effect. Thank you all.",
        "impersonation",
        by="imp:x:HeIenaMarshQM",
        tags=("homoglyph_handle", "protected_person"),
        day=13,
    ),
    D(
        "I will be answering student questions about the budget cuts by DM all day today.",
        "impersonation",
        by="imp:x:HeIenaMarshQM",
        tags=("homoglyph_handle", "protected_person"),
        day=15,
    ),
    D(
        "Students with exam concerns: message me directly, I can arrange extensions personally.",
        "impersonation",
        by="imp:x:TAchterberq",
        tags=("homoglyph_handle", "protected_person"),
        day=16,
    ),
    D(
        "Extensions approved for everyone in EECS this term. Just reply with your student number.",
        "impersonation",
        by="imp:x:TAchterberq",
        tags=("homoglyph_handle", "protected_person"),
        day=17,
    ),
    D(
        "Clearing places still available for January 2027 start! Pay your £300 deposit to secure "
        "your place.",
        "impersonation",
        "logo_misuse",
        by="imp:x:QueenMaryUni_",
        media=("logo_misuse/clearing-flyer",),
        tags=("homoglyph_display_name", "scam"),
        day=6,
    ),
    D(
        "Accommodation deposit refunds are being processed, send your sort code to claim.",
        "impersonation",
        by="imp:x:QueenMaryUni_",
        tags=("homoglyph_display_name", "scam"),
        day=11,
    ),
    D(
        "Official: Queen Mary will move all teaching online from next week.",
        "impersonation",
        by="imp:bluesky:queenmary.news",
        tags=("lookalike_handle",),
        day=7,
    ),
    D(
        "Queen Mary announces a partnership with a crypto exchange to fund student bursaries.",
        "impersonation",
        "logo_misuse",
        by="imp:bluesky:queenmary.news",
        media=("logo_misuse/crypto-flyer",),
        tags=("lookalike_handle",),
        day=12,
    ),
    D(
        "I'm stepping down at Christmas. It has been an honour. - Helena",
        "impersonation",
        by="imp:bluesky:helena-marsh.bsky.social",
        tags=("affix_handle", "protected_person"),
        day=14,
    ),
    D(
        "Follow my new personal account for honest updates about the University's finances.",
        "impersonation",
        by="imp:bluesky:helena-marsh.bsky.social",
        tags=("affix_handle", "protected_person"),
        day=18,
    ),
    D(
        "Welcome to our official Mastodon account! Boost for scholarship news.",
        "impersonation",
        by="imp:mastodon:qmu1@mastodon.social",
        tags=("leetspeak_handle",),
        day=11,
    ),
    D(
        "Free laptops for all first-year students, sign up via the link in our bio.",
        "impersonation",
        by="imp:mastodon:qmu1@mastodon.social",
        tags=("leetspeak_handle", "scam"),
        day=19,
    ),
    D(
        "This is the University's official account. We will be moderating r/QMUL from now on; "
        "please send your student login to verify you're a student.",
        "impersonation",
        by="imp:reddit:QMUL_0fficial",
        on="reddit",
        title="Official: verification of r/QMUL members",
        tags=("leetspeak_handle", "phishing"),
        day=9,
    ),
    D(
        "Official: the Winter graduation has been moved to February. Details to follow.",
        "impersonation",
        by="imp:reddit:QMUL_0fficial",
        on="reddit",
        title="Winter graduation date change",
        tags=("leetspeak_handle",),
        day=17,
    ),
]

LOGO_MISUSE: list[Draft] = [
    D(
        "Unofficial QMUL mugs, £12 each or two for £20. Perfect for your 9am. DM to order!",
        "logo_misuse",
        media=("logo_misuse/mug",),
        tags=("merchandise",),
    ),
    D(
        "QMUL FRESHERS FOAM PARTY 2.0 \U0001f389 tickets £15, link in bio. Not affiliated with the SU "
        "lol",
        "logo_misuse",
        media=("logo_misuse/foam-party-flyer",),
        tags=("event_flyer",),
    ),
    D(
        "Queen Mary's new Vice-Principal for Naps, appointed today \U0001f431",
        "logo_misuse",
        media=("logo_misuse/cat-meme",),
        tags=("meme",),
    ),
    D(
        "Queen Mary Space Programme launches today \U0001f680 (sponsored by my student loan)",
        "logo_misuse",
        media=("logo_misuse/rocket-sponsor",),
        tags=("parody_use",),
    ),
    D(
        "Our café is QMUL approved \u2615 10% off with a student card!",
        "logo_misuse",
        media=("logo_misuse/cafe-ad",),
        tags=("endorsement",),
    ),
    D(
        "Mural going up on the wall by our flat in Mile End, thoughts?",
        "logo_misuse",
        media=("logo_misuse/wall-mural",),
        tags=("mural",),
        on="mastodon",
    ),
    D(
        "Selling custom 'Queen Mary Astronaut Society' patches, £5 each",
        "logo_misuse",
        media=("logo_misuse/astronaut-patch",),
        tags=("merchandise",),
        on="bluesky",
    ),
    D(
        "Inverted the crest for our society's gig poster, looks sick right?",
        "logo_misuse",
        media=("logo_misuse/gig-poster-inverted",),
        tags=("event_flyer",),
        on="reddit",
        title="Gig poster feedback",
    ),
]

# Images posted without any logo (campus life, lunch, pets): benign negatives for image detectors.
PHOTO_NEGATIVES: list[Draft] = [
    D("Coffee number three of the day. Dissertation, meet caffeine.", media=("photos/coffee",)),
    D("My flatmate's cat has decided my lecture notes are a bed.", media=("photos/cat",)),
    D(
        "Watching the rocket launch stream in the SU bar with the astro society \U0001f680",
        media=("photos/rocket",),
    ),
    D(
        "Brick textures for my architecture portfolio, shot behind the Mile End library.",
        media=("photos/brick",),
    ),
]
