# ruff: noqa: E501 - one case per line keeps the tables readable and diffable
"""The leak detectors' labelled cases, one table per detector, each case saying where it comes from.

Every post is invented for this project; "modelled on" names the kind of real post it imitates.
Hard negatives sit beside the positives: phone-like numbers in prices, ISBNs and dates;
"confidential" in a counselling service; documentation example keys; talk about the complaints
procedure. `write_labelled(folder)` turns the tables into one labelled JSONL file per detector
(every case appears in every file; a case counts as positive only for its own detector's labels),
which is what `crestwatch eval` reads:

    .venv/bin/python -m tests.unit.leaks.leak_cases tests/data/leaks
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    source: str
    labels: dict[str, list[str]] = field(default_factory=dict)  # detector -> expected labels


def _c(id: str, text: str, source: str, **labels: list[str]) -> Case:
    return Case(id, text, source, labels)


# The GitHub-style token is assembled so the literal never sits in the source as one string.
_GH = "ghp_" + "R7mK2pQ9vX4tL8nW3jB6cY1hF5dS0aZ" + "e4Ugk"
_GL = "glpat-" + "Xq7Rm2Kp9Lw4Tn8Vb3Hy"
_SLACK = "xoxb-" + "482913370215-5719924830176-" + "q8WmZk3RtY7pLx2NcV5hJb9D"
_STRIPE = "sk_live_" + "51Hq7Rk2Lm9Wx4Tz8Vb3Nc6P"
_AWS = "AKIA" + "Q3EGRT7YH2LMN5PX"
_AWS2 = "AKIA" + "VZ4J7NQK2B8XW3RT"
_GOOGLE = "AIza" + "SyD7kq2Lm9Xw4Vb1Nc8Rt6Yh0Ja5Ud3PqZk"
_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJzdHVkZW50LTQ0MjEiLCJyb2xlIjoiYWRtaW4iLCJpYXQiOjE3NjM4OTQwMDB9."
    "Qm3x8TzL0vK2pW9rN4bY7cH1fJ6dS5aG3eUiOkM8nVw"
)
_KEY_BODY = "MIIEowIBAAKCAQEAu7Lq3X9vN2mK8pR4tW6yB1cF5hJ0dS3aZ7eG2iU9oQ4nV8x"

# fmt: off
CONFIDENTIAL = [
    _c("conf-01", "Leaked: STRICTLY CONFIDENTIAL draft restructuring plan for SPCS. Eighteen posts to go.", "modelled on a leaked-memo post", confidential=["confidential", "confidential_marker"]),
    _c("conf-02", "Someone just forwarded me a doc headed 'Internal only - do not forward'. QMUL are planning to cut library hours again", "modelled on a forwarded internal e-mail", confidential=["confidential", "confidential_marker"]),
    _c("conf-03", "Senate paper SE/2026/14 says tuition support funds will be halved next year. Thread below", "committee paper reference in a leak thread", confidential=["confidential", "committee_paper"]),
    _c("conf-04", "Council paper C/2026/41 (reserved business) on senior pay is doing the rounds in the staff WhatsApp", "committee paper with reserved-business marker", confidential=["confidential", "committee_paper", "confidential_marker"]),
    _c("conf-05", "QMUL press release: record graduate outcomes. Embargoed until 00:01 Thursday 4 December. Sharing early because why not", "embargoed press release posted early", confidential=["confidential", "embargo"]),
    _c("conf-06", "CONFIDENTIAL: list of modules to be withdrawn in 2027 (screenshot from the faculty meeting)", "capitalised label on a screenshot description", confidential=["confidential", "confidential_marker"]),
    _c("conf-07", "The minutes say 'not for circulation' at the top but here they are anyway: Finance Committee agreed to sell the Charterhouse Square site", "modelled on leaked minutes", confidential=["confidential", "confidential_marker"]),
    _c("conf-08", "From the Finance Committee minutes, item FC/26/07: the deficit is now 14m. This is commercially sensitive apparently lol", "committee minutes item reference", confidential=["confidential", "committee_paper", "confidential_marker"]),
    _c("conf-09", "Private and confidential letter from HR to all EECS staff re pay freeze, photo attached", "private and confidential letter photo", confidential=["confidential", "confidential_marker"]),
    _c("conf-10", "Draft marked 'Confidential draft - for SET only' about merging two schools. Is this real?", "confidential draft marker", confidential=["confidential", "confidential_marker"]),
    _c("conf-11", "Leaked UEB minutes show the new VP role was decided before the 'consultation'. Restricted circulation my foot", "restricted circulation marker", confidential=["confidential", "confidential_marker"]),
    _c("conf-12", "Apparently this is 'for internal use' only but everyone should know what the estates review says about Mile End halls", "for internal use marker", confidential=["confidential", "confidential_marker"]),
    _c("conf-13", "This email is legally privileged and was sent to heads of school. It says redundancies are coming", "legally privileged e-mail", confidential=["confidential", "confidential_marker"]),
    _c("conf-14", "Academic Board paper AB/2026/3 recommends dropping the foundation year. Don't shoot the messenger", "committee paper reference", confidential=["confidential", "committee_paper"]),
    _c("conf-15", "Embargoed until 10am tomorrow but the QS ranking has us at 120. You heard it here first", "embargoed ranking result", confidential=["confidential", "embargo"]),
    _c("conf-16", "Page one of the memo literally says STRICTLY CONFIDENTIAL and now it's on Reddit", "leak commentary quoting the marker", confidential=["confidential", "confidential_marker"]),
    _c("conf-17", "Restricted: draft timetable for the January exam period, please don't share widely", "weak marker used as a document label", confidential=["confidential", "confidential_marker"]),
    _c("conf-18", "Budget slides from the away day say 'do not circulate' on every page. Posting them anyway", "do-not-circulate slides", confidential=["confidential", "confidential_marker"]),
    _c("conf-19", "QMUL offers a free confidential counselling service for all students, book via the wellbeing page", "hard negative: counselling service"),
    _c("conf-20", "Your survey answers will be kept confidential and only reported in aggregate.", "hard negative: survey promise"),
    _c("conf-21", "Struggling? The Advice and Counselling Service is confidential and free. You are not alone", "hard negative: support message"),
    _c("conf-22", "Restricted parking near the Queens' Building this week due to works", "hard negative: restricted parking"),
    _c("conf-23", "The Senate paper on fees was published on the website last week, worth a read", "hard negative: public committee paper mention"),
    _c("conf-24", "Report bullying confidentially through Report and Support, anonymous reporting is available", "hard negative: reporting tool"),
    _c("conf-25", "Congratulations to the QMUL team on the new confidential computing research grant!", "hard negative: research field name", confidential=[]),
    _c("conf-26", "Students can get confidential advice about visas from the Advice team", "hard negative: advice service"),
    _c("conf-27", "Is the library restricted to students only during exams?", "hard negative: access question"),
    _c("conf-28", "Met a patient today who was so grateful. Patient details always stay confidential of course", "hard negative: clinical confidentiality"),
    _c("conf-29", "Keep your password private and never share it, says IT Services", "hard negative: IT advice"),
    _c("conf-30", "Watching the Council meeting livestream, interesting debate on climate targets", "hard negative: public meeting"),
    _c("conf-31", "New film 'The Confidential Agent' screening at the Film Society tonight", "hard negative: film title", confidential=[]),
    _c("conf-32", "Embargo lifted: our paper on graphene batteries is out in Nature today!", "hard negative: embargo lifted", confidential=[]),
    _c("conf-33", "Sensitive topic but I think we need to talk about housing costs for students in London", "hard negative: sensitive topic"),
]

SECRETS = [
    _c("sec-01", f"lol someone in the ITS group chat posted the prod key {_AWS} along with the bucket name", "modelled on a cloud key pasted in chat", secrets=["confidential", "secret", "secret:aws"]),
    _c("sec-02", f"Our lab's GitHub token for the cluster is {_GH} if anyone needs to push tonight", "GitHub personal access token", secrets=["confidential", "secret", "secret:github"]),
    _c("sec-03", f"deploy keeps failing, here's my config: GITLAB_TOKEN={_GL}", "GitLab token in a pasted config", secrets=["confidential", "secret", "secret:gitlab"]),
    _c("sec-04", f"SU bot token {_SLACK} someone please rotate", "Slack bot token", secrets=["confidential", "secret", "secret:slack"]),
    _c("sec-05", f"Found this in the ticket shop's JS: {_STRIPE}", "Stripe live secret key", secrets=["confidential", "secret", "secret:stripe"]),
    _c("sec-06", f"maps on the open day page use key {_GOOGLE} lol", "Google API key", secrets=["confidential", "secret", "secret:google"]),
    _c("sec-07", f"The student portal admin session token: {_JWT}", "JWT pasted in a post", secrets=["confidential", "secret", "secret:jwt"]),
    _c("sec-08", f"-----BEGIN RSA PRIVATE KEY-----\n{_KEY_BODY}\n-----END RSA PRIVATE KEY-----\nthis was in the public share drive", "private key block", secrets=["confidential", "secret", "secret:private_key"]),
    _c("sec-09", "The wifi password for the Graduate Centre is Qm!Library2026 btw", "password in prose", secrets=["confidential", "secret", "secret:password"]),
    _c("sec-10", "Printer admin login: admin / password: Prnt#4471x, works on every floor", "password in prose", secrets=["confidential", "secret", "secret:password"]),
    _c("sec-11", "db is at postgres://ems_admin:Ex4mS3cure9@10.12.0.4/exams if you want to see the marks", "credentials in a connection URL", secrets=["confidential", "secret", "secret:url_credentials"]),
    _c("sec-12", "Their API key: 8f3kQ9zLm2Xw7Vb1Nc4Rt6Yh0Ja5Ud, no idea why it's on the public wiki", "generic API key after a keyword", secrets=["confidential", "secret", "secret:generic"]),
    _c("sec-13", f"second key found in the repo {_AWS2} (also public)", "second cloud key", secrets=["confidential", "secret", "secret:aws"]),
    _c("sec-14", "the shared mailbox password is Sunflower_88 for anyone covering reception", "password in prose", secrets=["confidential", "secret", "secret:password"]),
    _c("sec-15", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcn\n-----END OPENSSH PRIVATE KEY-----", "OpenSSH private key block", secrets=["confidential", "secret", "secret:private_key"]),
    _c("sec-16", "token: tQ8vX2mK7pL4nW9rB3jY6cH1fD5sA0zE8uG", "generic token after a keyword", secrets=["confidential", "secret", "secret:generic"]),
    _c("sec-17", "AWS docs use AKIAIOSFODNN7EXAMPLE as the example access key id, don't panic", "hard negative: AWS documentation example key"),
    _c("sec-18", "Set GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in your .env before running the lab", "hard negative: documentation placeholder"),
    _c("sec-19", "Forgot my password again, IT says the password is incorrect every time", "hard negative: password complaint"),
    _c("sec-20", "Password reset link: go to the portal and choose 'forgotten password'", "hard negative: IT instructions"),
    _c("sec-21", "Use a password manager! A strong password is at least 12 characters", "hard negative: security advice"),
    _c("sec-22", "Our API docs say: api_key = YOUR_API_KEY_HERE", "hard negative: documentation placeholder"),
    _c("sec-23", "Token economy lecture today was great, Dr Lee explained tokenomics so well", "hard negative: the word token"),
    _c("sec-24", "The secret to surviving exam season is coffee and the Library's 24h floor", "hard negative: the word secret"),
    _c("sec-25", "-----BEGIN PUBLIC KEY----- blocks are fine to share, private keys are not", "hard negative: public key mention"),
    _c("sec-26", "PIN for the SU quiz night is the table number, see you at 7", "hard negative: pin without a value"),
    _c("sec-27", "Commit hash 3f9a2c7e1b4d8f6a0c5e9b2d7f1a4c8e6b0d3f9a fixed the build", "hard negative: commit hash without a keyword"),
    _c("sec-28", "Order reference QM-2026-118734, delivered to the Student Centre", "hard negative: order reference"),
    _c("sec-29", "Read the JWT spec (RFC 7519) before the web security coursework", "hard negative: JWT mentioned, no token"),
    _c("sec-30", "Login: use your QMUL username and password as usual", "hard negative: login instructions"),
    _c("sec-31", "The password is: changeme (that's the placeholder in the tutorial, you must change it)", "hard negative: tutorial placeholder"),
]

PERSONAL = [
    _c("pd-01", "Dr Priya Venkataraman lives at 14 Cedar Grove, London E3 5AB. Her mobile is 07700 900123. You know what to do", "modelled on a doxxing post naming a protected person", personal_data=["personal_data", "postal_address", "phone_number"]),
    _c("pd-02", "this is the lecturer who failed me, Dr Harris, his personal email is d.harris1972@gmail.com, flood it", "doxxing a named lecturer's e-mail", personal_data=["personal_data", "email"]),
    _c("pd-03", "Professor Helena Marsh's home number is 020 8555 0147 if anyone wants to complain directly", "protected person's phone number", personal_data=["personal_data", "phone_number"]),
    _c("pd-04", "found her: @jess_qm, DOB 12/03/2004, lives on Bancroft Road", "date of birth with a handle", personal_data=["personal_data", "date_of_birth"]),
    _c("pd-05", "Student 220123456 is the one who reported us, her name is Amy Clarke", "student number with a name", personal_data=["personal_data", "student_id"]),
    _c("pd-06", "Staff number QMS-448120 belongs to Dr Okafor, the one who marked our coursework", "staff number with a name", personal_data=["personal_data", "staff_id"]),
    _c("pd-07", "Text him on +44 7700 900456 and tell him what you think of the marking", "third-person phone cue", personal_data=["personal_data", "phone_number"]),
    _c("pd-08", "Dr Tobias Achterberg was born on 3 May 1971, not that anyone asked", "protected person's date of birth", personal_data=["personal_data", "date_of_birth"]),
    _c("pd-09", "His address is 27 Whitechapel Road E1 1DU, go and tell him yourself", "third-person address", personal_data=["personal_data", "postal_address"]),
    _c("pd-10", "Samuel Okonkwo-Reid personal mobile: 07700 900789. Comms team won't answer so call him", "protected person's mobile", personal_data=["personal_data", "phone_number"]),
    _c("pd-11", "Ms Patel, the flat 3 neighbour who complained about the party, email rpatel.home@outlook.com", "named neighbour's e-mail", personal_data=["personal_data", "email"]),
    _c("pd-12", "@PriyaV_Physics her number is 07700 900321 and her office is 2.14 in the G.O. Jones building", "protected person's handle and number", personal_data=["personal_data", "phone_number"]),
    _c("pd-13", "Mr Daniel Osei, 9 Arbery Road, London E3 5DD, date of birth 22 January 1999", "address and date of birth dump", personal_data=["personal_data", "postal_address", "date_of_birth"]),
    _c("pd-14", "The TA who snitched is Mr Brandt, call him on 07700 900654", "third-person phone cue with a name", personal_data=["personal_data", "phone_number"]),
    _c("pd-15", "Dr Ingrid Falkenrath email i.falkenrath.private@protonmail.com tell her what you think", "protected person's private e-mail", personal_data=["personal_data", "email"]),
    _c("pd-16", "her student number is 210987654 and she's in the Law school", "student number with a third-person cue", personal_data=["personal_data", "student_id"]),
    _c("pd-17", "Dr Mensah lives at 5 Grove Road, Bow, London E3 5AX", "named person's home address", personal_data=["personal_data", "postal_address"]),
    _c("pd-18", "doxxed: Prof Lindqvist, 07700 900987, 31 Tredegar Square E3 5AE", "doxxing dump", personal_data=["personal_data", "phone_number", "postal_address"]),
    _c("pd-19", "Call the QMUL switchboard on 020 7882 5555 for general enquiries", "hard negative: public switchboard"),
    _c("pd-20", "Our campus address: Mile End Road, London E1 4NS. Open day 14 June!", "hard negative: campus address"),
    _c("pd-21", "Email admissions@qmul.ac.uk with any questions about your offer", "hard negative: role mailbox"),
    _c("pd-22", "Call me on 07911 123456 if you want to join the five-a-side team", "hard negative: author's own number"),
    _c("pd-23", "Set text: ISBN 978-0-14-312755-0, about £12.99 at the campus bookshop", "hard negative: ISBN and price"),
    _c("pd-24", "Exam on 12/03/2027 at 09:30 in the Great Hall, 2 hours", "hard negative: exam date"),
    _c("pd-25", "Tickets £1,299.99 for the ski trip?! Order 212345678 refunded thank god", "hard negative: price and order number"),
    _c("pd-26", "Between 2019 and 2024, 40000 students graduated from Queen Mary", "hard negative: years and counts"),
    _c("pd-27", "My email is sam.student.2004@gmail.com if you want the notes", "hard negative: author's own e-mail"),
    _c("pd-28", "Contact jane@example.com in the tutorial, it's just a sample address", "hard negative: documentation e-mail"),
    _c("pd-29", "The Students' Union is at 327 Mile End Road, E1 4NS, come and say hi", "hard negative: public organisation address"),
    _c("pd-30", "Dr Smith's lecture on phone number validation was brilliant (+44 is the UK prefix)", "hard negative: prefix talk"),
    _c("pd-31", "Room 1.23, extension 5555, office hours Tuesday 2-4pm", "hard negative: extension number"),
    _c("pd-32", "Born on 3 May 1971? You can apply for the alumni mature student bursary", "hard negative: hypothetical birth date", personal_data=[]),
    _c("pd-33", "The 25 bus from Mile End Road to Stratford is always late", "hard negative: bus number and street"),
    _c("pd-34", "Version 2.3.1045 of the VLE breaks on Safari, ticket 10045871 raised", "hard negative: version and ticket number"),
    _c("pd-35", "Great talk by Dr Okafor today about research ethics and consent", "hard negative: a name without details"),
    _c("pd-36", "Postcode for the open day is E1 4NS, parking is limited", "hard negative: campus postcode"),
    _c("pd-37", "New number for the IT service desk: 020 7882 8888, open 24/7", "hard negative: public service number"),
    _c("pd-38", "Feeling old: I was born in 1999 and the freshers were born in 2007", "hard negative: birth years"),
]

COMPLAINTS = [
    _c("cmp-01", "Dr Tobias Achterberg is facing a disciplinary hearing on 3 March over the marking scandal", "modelled on a post about a staff disciplinary case", complaints=["complaints_legal", "disciplinary"]),
    _c("cmp-02", "My supervisor Dr Jones had a grievance upheld against him last week, here are the details of the panel's findings", "grievance outcome with a name", complaints=["complaints_legal", "complaint"]),
    _c("cmp-03", "Employment tribunal claim against Professor Helena Marsh leaked, hearing is in April", "tribunal claim naming a protected person", complaints=["complaints_legal", "legal_proceedings"]),
    _c("cmp-04", "Dr Smith was suspended pending a misconduct investigation, students were told nothing", "suspension of a named lecturer", complaints=["complaints_legal", "disciplinary"]),
    _c("cmp-05", "I filed a formal complaint about Dr Priya Venkataraman and the outcome letter says it was partly upheld", "complaint outcome naming a protected person", complaints=["complaints_legal", "complaint"]),
    _c("cmp-06", "Prof Walsh is being sued by a former PhD student, case no. HQ26X01234 in the High Court", "legal proceedings with a case number", complaints=["complaints_legal", "legal_proceedings"]),
    _c("cmp-07", "Samuel Okonkwo-Reid was the subject of a bullying complaint from three staff, the panel meets Friday", "bullying complaint naming a protected person", complaints=["complaints_legal", "complaint"]),
    _c("cmp-08", "The academic misconduct panel found Mr Chen responsible and gave him a zero for the module", "academic misconduct outcome", complaints=["complaints_legal", "disciplinary"]),
    _c("cmp-09", "Dr Ingrid Falkenrath has a settlement agreement with QMUL after her tribunal claim, NDA and all", "settlement and tribunal claim", complaints=["complaints_legal", "legal_proceedings"]),
    _c("cmp-10", "Witness statement from the disciplinary hearing of Dr Osei attached, he shouted at a student", "hearing evidence naming a person", complaints=["complaints_legal", "disciplinary"]),
    _c("cmp-11", "Ms Rahman lodged a formal complaint against Dr Petrov, he's been moved off teaching", "complaint between named staff", complaints=["complaints_legal", "complaint"]),
    _c("cmp-12", "Dr Achterberg under investigation for the admissions issue, the allegations are in the leaked email", "investigation naming a protected person", complaints=["complaints_legal", "disciplinary"]),
    _c("cmp-13", "@TAchterberg got sacked? no wait, gross misconduct hearing first according to the letter", "gross misconduct hearing naming a handle", complaints=["complaints_legal", "disciplinary"]),
    _c("cmp-14", "Prof Kaur is taking legal action against the University over her dismissal, the solicitors letter is wild", "legal action by a named professor", complaints=["complaints_legal", "legal_proceedings"]),
    _c("cmp-15", "Stage 2 complaint against Dr Nowak was upheld: he has to apologise in writing", "complaint outcome", complaints=["complaints_legal", "complaint"]),
    _c("cmp-16", "How do I make a formal complaint to QMUL about my accommodation?", "hard negative: procedure question"),
    _c("cmp-17", "The complaints procedure is on the website, stage 1 goes to your school", "hard negative: procedure description"),
    _c("cmp-18", "Tribunal ruling on gig-economy drivers today is a big deal for workers' rights", "hard negative: unrelated tribunal news"),
    _c("cmp-19", "Workshop on the disciplinary process for staff reps, Thursday 2pm", "hard negative: training event"),
    _c("cmp-20", "Our law society moot court final was amazing, congrats to the winning team", "hard negative: moot court"),
    _c("cmp-21", "Dr Lee gave a brilliant lecture on employment law and tribunal procedure", "hard negative: teaching about tribunals"),
    _c("cmp-22", "Anyone know where I can get advice about an academic misconduct allegation? Asking for a friend", "hard negative: asking for advice"),
    _c("cmp-23", "The SU can support you through the complaints process, drop in any weekday", "hard negative: support offer"),
    _c("cmp-24", "Legal action against the government over student loans is long overdue", "hard negative: politics"),
    _c("cmp-25", "Prof Amini won the teaching award and everyone was so happy for her", "hard negative: named person, no case"),
    _c("cmp-26", "Investigation into the causes of antibiotic resistance: new QMUL study out today", "hard negative: research investigation"),
    _c("cmp-27", "My lecturer said the coursework deadline is extended, no complaints here", "hard negative: no complaint"),
    _c("cmp-28", "The university's policy on grievance procedures has been updated, read it on the staff intranet", "hard negative: policy update"),
]

# Posts copying (or not) the fixtures in tests/data/leaks/documents/.
DOCUMENTS = [
    _c("doc-01", "lol look at this: the University proposes to close the undergraduate programme in Astrophysics from September 2027 and to reduce academic staffing in the School by eighteen posts", "verbatim memo passage", documents=["confidential", "document_match"]),
    _c("doc-02", "Consultation with the recognised trade unions will begin in the second week of January. Staff in the School should not be informed before the formal announcement. Disgusting.", "memo passage plus comment", documents=["confidential", "document_match"]),
    _c("doc-03", "The projected saving is 4.2 million pounds over three financial years. Half of this sum will be reinvested in the new Centre for Quantum Engineering at the Mile End campus", "memo passage, lightly edited numbers", documents=["confidential", "document_match"]),
    _c("doc-04", "Exam leak?? Question 1. A particle of mass m is confined to a one-dimensional infinite square well of width a. Write down the normalised energy eigenfunctions", "exam question verbatim (DOCX)", documents=["confidential", "copyright", "document_match", "exam_paper"]),
    _c("doc-05", "Using first-order perturbation theory, calculate the shift in the ground state energy of the hydrogen atom when it is placed in a uniform electric field of strength E", "exam question verbatim (DOCX)", documents=["confidential", "copyright", "document_match", "exam_paper"]),
    _c("doc-06", "Free ECS401 notes: A recursive method is one that calls itself on a smaller version of the same problem. Every recursive method needs a base case, which returns an answer without recursing", "lecture notes verbatim (PDF)", documents=["copyright", "document_match"]),
    _c("doc-07", "When a method is called, the computer pushes a new frame onto the call stack that holds the method's parameters and local variables. When the method returns its frame is popped", "lecture notes, punctuation changed (PDF)", documents=["copyright", "document_match"]),
    _c("doc-08", "The Committee recommends that the salary of the President and Principal is increased by three point five per cent from the first of August. Nice for some", "council paper passage", documents=["confidential", "document_match"]),
    _c("doc-09", "severance arrangement for the former Vice-Principal for Operations, which includes a payment in lieu of notice and a confidentiality clause. How much??", "council paper passage", documents=["confidential", "document_match"]),
    _c("doc-10", "Tail recursion is not optimised by the Java compiler, so a deep recursion over a large list can fail where a simple for loop would succeed. The coursework will ask you to write both", "lecture notes verbatim (PDF)", documents=["copyright", "document_match"]),
    _c("doc-11", "State the variational principle and use a Gaussian trial function to estimate the ground state energy of the quartic anharmonic oscillator - this is on the May paper", "exam question verbatim", documents=["confidential", "copyright", "document_match", "exam_paper"]),
    _c("doc-12", "Students currently enrolled on the Astrophysics programme will be taught out under existing arrangements. The Registry will write to applicants holding offers", "memo passage", documents=["confidential", "document_match"]),
    _c("doc-13", "QMUL is closing lots of courses, Astrophysics staffing to be reduced, union consultation in January apparently", "hard negative: paraphrase without copied wording"),
    _c("doc-14", "Just had a great lecture on recursion and the call stack, finally understand base cases", "hard negative: same topic, own words"),
    _c("doc-15", "Quantum mechanics exam in May, any tips for perturbation theory questions?", "hard negative: same topic, own words"),
    _c("doc-16", "The President's pay rise is a scandal when staff get one per cent", "hard negative: same topic, own words"),
    _c("doc-17", "Revision: the infinite square well and the hydrogen atom are always on the paper, know them well", "hard negative: same topic, own words"),
    _c("doc-18", "Recursion: see recursion. Every CS student's favourite joke", "hard negative: short related text"),
    _c("doc-19", "The Centre for Quantum Engineering opening ceremony is next month at Mile End, all welcome", "hard negative: related public news"),
    _c("doc-20", "Java for loops vs recursion: which is faster? Benchmarks in the thread", "hard negative: same topic"),
    _c("doc-21", "Freshers: the call stack is not as scary as it sounds, ask your TA during labs", "hard negative: same topic"),
]
# fmt: on

TABLES = {
    "confidential": CONFIDENTIAL,
    "secrets": SECRETS,
    "personal_data": PERSONAL,
    "complaints": COMPLAINTS,
    "documents": DOCUMENTS,
}
ALL_CASES = [case for table in TABLES.values() for case in table]


def as_post(case: Case, n: int, detector: str) -> dict[str, object]:
    return {
        "platform": "x",
        "id": case.id,
        "url": f"https://x.com/example/status/{1_900_000_000_000 + n}",
        "created_at": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:15:00Z",
        "text": case.text,
        "lang": "en",
        "author": {"id": f"u{n % 37}", "handle": f"poster{n % 37}", "display_name": "A poster"},
        "labels": case.labels.get(detector, []),
        "source": case.source,
    }


def labelled_lines(detector: str) -> list[str]:
    return [json.dumps(as_post(c, n, detector), ensure_ascii=False) for n, c in enumerate(ALL_CASES)]


def write_labelled(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for detector in TABLES:
        path = folder / f"{detector}.jsonl"
        path.write_text("\n".join(labelled_lines(detector)) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_labelled(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/leaks")):
        sys.stdout.write(f"{path}\n")
