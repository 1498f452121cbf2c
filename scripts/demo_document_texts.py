"""The text of the invented University documents in config/documents/.

Kept apart from the writer so that scripts/make_samples.py can quote passages from the same
text when it builds the demo's leak posts. Every name, number and decision here is invented.
"""

from __future__ import annotations

EXAM_TITLE = "ECS401U Procedural Programming - Main Examination 2026/27"
EXAM_PAPER = """\
QUEEN MARY UNIVERSITY OF LONDON
School of Electronic Engineering and Computer Science

ECS401U Procedural Programming
Main Examination Period, January 2027
Duration: 2 hours

Instructions to candidates
Answer ALL questions. The paper carries 100 marks; the marks for each part are shown in brackets.
Calculators are not permitted. Write your answers in the answer booklet provided. You may not
remove this question paper from the examination room. This paper must not be reproduced,
photographed or shared in any form before, during or after the examination.

Examiners: Dr R. Castellano, Dr M. Oyelaran

Question 1
(a) Explain the difference between a variable's declaration and its initialisation, giving one
example of each in Java. [4 marks]
(b) A student writes a method that should return the largest of three integers but it always
returns the first argument. Write a correct version of the method maxOfThree and explain the
mistake the student most probably made. [8 marks]
(c) Trace the following loop and give the final value of total: int total = 0; for (int i = 1;
i <= 12; i += 3) { total = total + i * 2; }. Show each iteration. [6 marks]

Question 2
(a) Define what is meant by a record (a class used only to hold data) and give two reasons why a
programmer might choose one instead of parallel arrays. [6 marks]
(b) The library at the Mile End campus keeps loans in an array of LoanRecord objects, each with
a borrower id, a book title and a due date. Write a method countOverdue that returns how many
loans are overdue on a given date. [10 marks]
(c) Discuss how you would test countOverdue, listing at least four distinct test cases and the
reason for each one. [8 marks]

Question 3
(a) Write a recursive method sumDigits that returns the sum of the decimal digits of a
non-negative integer, so that sumDigits(4071) returns 12. [8 marks]
(b) Rewrite sumDigits iteratively and compare the two versions in terms of readability and
memory use. [7 marks]
(c) Explain what happens when a recursive method has no base case, with reference to the call
stack. [5 marks]

Question 4
A canteen on campus wants a simple program to manage its queue at lunchtime. Customers join at
the back and are served from the front; a customer may leave the queue without being served.
(a) Design the data you would store for each customer and for the queue as a whole. [6 marks]
(b) Write the methods join, serveNext and leave, using an array with a fixed capacity of 200.
[14 marks]
(c) Describe one limitation of your design and how a later version could overcome it. [10 marks]

END OF EXAMINATION PAPER
"""

LECTURE_TITLE = "SPA5219 Quantum Mechanics B - Lecture 7: The hydrogen atom"
LECTURE_NOTES = [
    ("heading", "SPA5219 Quantum Mechanics B"),
    ("heading", "Lecture 7: The hydrogen atom"),
    (
        "para",
        "Dr Priya Venkataraman, School of Physical and Chemical Sciences. These notes are for "
        "students registered on the module and are provided through QMplus only. Please do not "
        "upload them to note-sharing sites; they are the University's teaching material.",
    ),
    ("subheading", "7.1 Separating the Schrodinger equation"),
    (
        "para",
        "We now apply the machinery of the last two lectures to the simplest real atom. The "
        "electron moves in the Coulomb potential of a single proton, which depends only on the "
        "distance r between them. Because the potential is spherically symmetric we work in "
        "spherical polar coordinates and look for solutions that are a product of a radial "
        "function R(r) and a spherical harmonic Y(theta, phi).",
    ),
    (
        "para",
        "Substituting the product into the time-independent equation and dividing through, the "
        "angular part gives back exactly the eigenvalue problem for the square of the angular "
        "momentum that we solved in Lecture 5. The separation constant is therefore l(l+1) times "
        "h-bar squared, and the quantum number l takes the values 0, 1, 2 and so on.",
    ),
    ("subheading", "7.2 The radial equation"),
    (
        "para",
        "What remains is an ordinary differential equation for u(r) = r R(r). It looks like a "
        "one-dimensional problem with an effective potential: the Coulomb attraction plus a "
        "centrifugal barrier proportional to l(l+1)/r squared. The barrier is why states with "
        "non-zero angular momentum keep the electron away from the nucleus.",
    ),
    (
        "para",
        "Requiring that u(r) vanishes at the origin and stays normalisable at large r forces the "
        "power series for u to terminate. This termination condition is the origin of the "
        "principal quantum number n, and it is the single most important step of the lecture: "
        "the energy depends on n alone, E_n = -13.6 eV / n squared.",
    ),
    ("subheading", "7.3 Degeneracy and what breaks it"),
    (
        "para",
        "For each n, l runs from 0 to n-1 and m from -l to +l, giving n squared states of the "
        "same energy before we include spin. This accidental degeneracy is a special property of "
        "the 1/r potential. In Lecture 9 we will see how relativistic corrections and the "
        "spin-orbit interaction lift it, producing the fine structure seen in the Balmer lines.",
    ),
    (
        "para",
        "Worked example for the problem class: show that the ground-state wavefunction is "
        "normalised, and find the most probable distance of the electron from the proton. The "
        "answer, one Bohr radius, is a useful check on your algebra.",
    ),
    ("subheading", "Reading"),
    (
        "para",
        "Griffiths and Schroeter, chapter 4.2. Coursework sheet 4 is due at 10:00 on the Monday "
        "of week 9 and must be submitted on QMplus.",
    ),
]

MEMO_TITLE = "Memorandum - Estates and Facilities restructuring (strictly confidential)"
MEMO = """\
STRICTLY CONFIDENTIAL - NOT FOR CIRCULATION
Queen Mary University of London - Office of the Chief Operating Officer

To: Senior Executive Team
From: Chief Operating Officer
Date: 4 November 2026
Subject: Proposed restructuring of Estates and Facilities, 2027-2029

1. Purpose
This memo sets out, for discussion at the Senior Executive Team meeting on 11 November, a
proposal to restructure Estates and Facilities over the next three financial years. It is
commercially sensitive and must not be forwarded outside the Senior Executive Team.

2. Background
The University's estate costs have grown by 14 per cent over two years while the space
utilisation survey found that teaching rooms at Mile End are used for only 41 per cent of
timetabled hours. The Whitechapel site carries a backlog of maintenance estimated at 38 million
pounds, of which 9 million is classed as urgent.

3. Proposal
We propose to merge the Soft Services and Campus Operations teams into a single Campus Services
directorate, to close the Bancroft Road storage depot by July 2027 and to tender the cleaning
contract for the Charterhouse Square site. The restructuring would place 46 posts at risk, with
an expected net reduction of 23 posts after redeployment.

4. Consultation
Formal consultation with the recognised trade unions would open on 12 January 2027 and last 45
days. No announcement should be made to staff before that date. Heads of School will be briefed
in confidence on 8 January.

5. Financial summary
One-off costs, including voluntary severance, are estimated at 2.1 million pounds. Recurring
savings are estimated at 3.4 million pounds a year from 2028/29.

6. Recommendation
The Senior Executive Team is asked to approve the proposal in principle, subject to an equality
impact assessment, and to keep this paper restricted until consultation opens.
"""

SENATE_TITLE = "Senate paper SEN/2026/41 - degree classification"
SENATE_PAPER = """\
Senate paper SEN/2026/41
Reserved business - not for circulation outside Senate
Meeting of 19 November 2026

Proposal to revise the undergraduate degree classification algorithm

Summary
Senate is asked to consider a proposal from the Education Quality and Standards Board to revise
the rules used to classify undergraduate degrees from the 2027/28 entry cohort onwards. The
proposal removes the discretionary zone for borderline candidates and replaces it with a single
published rule based on the weighted average of the best 210 credits at levels 5 and 6.

Background
The external review of academic standards in 2025 found that the use of discretion at
examination boards varied between Schools, and that students could not predict how a borderline
mark would be treated. The proportion of first-class degrees awarded rose from 31 per cent to 38
per cent over four years, a rise the Office for Students has asked the University to explain.

The proposal
Level 5 modules would count for one third and level 6 modules for two thirds of the weighted
average. Candidates within one mark below a classification boundary would be raised only if at
least half of their level 6 credits fall in the higher class. Modelling on the 2025/26 cohort
shows that 4.2 per cent of candidates would receive a lower classification than under the
current rules.

Risks
Student representatives on the working group did not support the proposal and asked for a
transition period. The Students' Union is expected to oppose it publicly. Senate members are
reminded that this paper is reserved business and that the modelling figures are not to be
shared before the consultation with students begins in January.

Decision required
Senate is asked to approve the proposal for consultation, and to note the modelling in Annex B.
"""

EMBARGO_TITLE = "Press release - embargoed"
EMBARGO_RELEASE = """\
EMBARGOED UNTIL 00:01 GMT, WEDNESDAY 2 DECEMBER 2026
Queen Mary University of London - Press Office

Blood test spots early pancreatic cancer in four out of five cases, Queen Mary study finds

A blood test developed at Queen Mary University of London detected early-stage pancreatic cancer
in 81 per cent of patients in a study of 1,240 people, researchers report in a paper to be
published on 2 December. The test looks for a pattern of five proteins released by tumours
before symptoms usually appear.

The study, led by the Barts Cancer Institute, followed patients referred to three London
hospitals with vague abdominal symptoms. The test gave a false alarm in 7 per cent of people
who did not have cancer.

"Pancreatic cancer is usually found too late for surgery. A simple blood test that GPs could
order would change that," said the study's lead author. The team plans a larger trial in 2027.

Notes to editors: this release and the paper are under embargo until 00:01 GMT on 2 December
2026. Please do not publish or share any of the findings before then.
"""

# Short passages the demo's leak posts quote word for word (each appears in a document above).
LEAK_PASSAGES = {
    "exam_q1b": (
        "A student writes a method that should return the largest of three integers but it "
        "always returns the first argument. Write a correct version of the method maxOfThree"
    ),
    "exam_q3a": (
        "Write a recursive method sumDigits that returns the sum of the decimal digits of a "
        "non-negative integer, so that sumDigits(4071) returns 12."
    ),
    "exam_q4": (
        "A canteen on campus wants a simple program to manage its queue at lunchtime. Customers "
        "join at the back and are served from the front"
    ),
    "lecture_72": (
        "Requiring that u(r) vanishes at the origin and stays normalisable at large r forces the "
        "power series for u to terminate."
    ),
    "lecture_73": ("This accidental degeneracy is a special property of the 1/r potential."),
    "memo_posts": (
        "The restructuring would place 46 posts at risk, with an expected net reduction of 23 "
        "posts after redeployment."
    ),
    "memo_depot": "to close the Bancroft Road storage depot by July 2027",
    "senate_model": (
        "Modelling on the 2025/26 cohort shows that 4.2 per cent of candidates would receive a "
        "lower classification than under the current rules."
    ),
    "embargo_result": (
        "detected early-stage pancreatic cancer in 81 per cent of patients in a study of 1,240 "
        "people"
    ),
}
