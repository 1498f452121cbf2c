"""Street addresses in the ways different countries write them, and UK postcodes on their own.

Three shapes of street, each with a house number:
- number first, street type last (English, and French without the type first): "83 Crosby
  Plaza", "Flat 24, 586 Kevin Road"; the types are the USPS and Royal Mail street suffixes;
- street type first (Romance, Slavic, Indonesian, Turkish, Russian and Ukrainian): "rue de
  Samson 45", "Calle de Camilo Burgos 19", "ul. Kościuszki 66", "Jl. Cempaka No. 83",
  "бул. Буденного, д. 9/4";
- the type inside the street's name (German, Dutch, Nordic, Finnish, Hungarian, Czech): "Klaus-
  Lindner-Platz 59", "Ekgatan 815", "Taavinkatu 08", "Ceglédi utca 127.";
and, for streets with no type word ("Opočínská 641"), a name and number followed by a postcode
and a town. Each is then extended over a flat or suite, a town, a state and a postcode when they
follow. The score says how sure the span is an address: a postcode or an address word ("lives
at", "adresse", "wohnt") before it adds to it.
"""

from __future__ import annotations

import re

from detectors.common.spans import SpanSet
from detectors.leaks.spans import Entity, alternation

_UP = r"A-ZÀ-ÖØ-Þ\u0100-\u024F\u0391-\u03A9\u0400-\u042F"
_WORD = rf"[{_UP}][\w'’.]*(?:-[\w'’.]+)*"
_PARTICLE = (
    r"(?:de|del|de la|de las|de los|da|do|dos|das|di|della|delle|degli|du|des|le|la|les|van|"
    r"von|der|den|het|al|el|lui|e|y|i|și|dei|sur|sous|en)"
)
# Words of one name sit on one line: a line break ends a street's name.
_NAME = rf"{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_WORD}){{0,3}}"
# A house number, maybe a range or a flat ("18-86", "58/68", "3c/5"), maybe an interior number.
_NUMBER = r"\d{1,5}[A-Za-z]?(?:\s?[/-]\s?\d{1,5}[A-Za-z]?)?\.?(?: \d{1,4}(?![\d-]))?"

_SUFFIX_EN = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Court|Ct|Close|Way|Place|Pl|Terrace|Crescent|"
    r"Cres|Gardens|Gdns|Square|Sq|Grove|Hill|Hills|Walk|Walks|Mews|Row|Park|Parks|Rise|View|Views|"
    r"Boulevard|Blvd|Parkway|Parkways|Pkwy|Highway|Hwy|Circle|Circles|Cir|Plaza|Trail|Alley|Loop|"
    r"Path|Pike|Point|Points|Ridge|Ridges|Run|Summit|Stravenue|Turnpike|Heights|Meadow|Meadows|"
    r"Manor|Manors|Harbor|Harbors|Harbour|Haven|Hollow|Junction|Junctions|Landing|Passage|Port|"
    r"Ports|Prairie|Shore|Shores|Spring|Springs|Valley|Valleys|Village|Villages|Ville|Vista|Well|"
    r"Wells|Wharf|Causeway|Common|Commons|Corner|Corners|Crossing|Crossroad|Curve|Dale|Dam|"
    r"Divide|Estate|Estates|Expressway|Extension|Extensions|Fall|Falls|Ferry|Field|Fields|Flat|"
    r"Flats|Ford|Fords|Forest|Forge|Forges|Fork|Forks|Fort|Freeway|Gateway|Glen|Glens|Green|"
    r"Greens|Groves|Inlet|Island|Islands|Isle|Key|Keys|Knoll|Knolls|Lake|Lakes|Light|Lights|"
    r"Loaf|Lock|Locks|Lodge|Mall|Mill|Mills|Mission|Motorway|Mount|Mountain|Mountains|Neck|"
    r"Orchard|Oval|Overpass|Pine|Pines|Plain|Plains|Radial|Ramp|Ranch|Rapid|Rapids|Rest|River|"
    r"Roads|Route|Shoal|Shoals|Skyway|Spur|Spurs|Squares|Station|Stream|Streets|Throughway|Trace|"
    r"Track|Trafficway|Tunnel|Underpass|Union|Unions|Viaduct|Ways|Brace|Riviera|Circuit|Edge|"
    r"Parade|Esplanade|Quay|Broadway|Bypass|Bluff|Bluffs|Bottom|Branch|Bridge|Brook|Brooks|Burg|"
    r"Burgs|Camp|Canyon|Cape|Center|Centers|Centre|Cliff|Cliffs|Club|Course|Courts|Cove|Coves|"
    r"Creek|Crest|Arcade|Annex|Bayou|Beach|Bend|Nagar|Marg|Chowk|Gali|Colony|Enclave|"
    # Australia Post's street types that are not also USPS suffixes
    r"Deviation|Triangle|Plateau|Lookout|Entrance|Brow|Range|Mew|Pass|Approach|Chase|Concourse|"
    r"Glade|Grange|Meander|Outlook|Promenade|Quadrant|Ramble|Retreat|Strand|Wynd|Brae|Amble|"
    r"Fairway|Pathway|Walkway"
)
_TYPE_FIRST = (
    r"rue|avenue|av|boulevard|bd|blvd|chemin|allée|impasse|place|quai|route|cours|passage|"
    r"square|rang|montée|voie|sentier|calle|c/|avenida|avda|paseo|plaza|camino|carrera|ronda|"
    r"travesía|urbanización|glorieta|pasaje|callejón|cuesta|vía|via|viale|piazza|piazzale|corso|"
    r"vicolo|largo|strada|contrada|borgo|canale|incrocio|rotonda|stretto|rua|travessa|praça|"
    r"alameda|estrada|rodovia|beco|viela|ladeira|sítio|trecho|vila|quadra|setor|str|r\.|"
    r"lagoa|favela|distrito|recanto|estação|parque|vereda|residencial|conjunto|núcleo|chácara|"
    r"fazenda|jardim|morro|passarela|trevo|vale|viaduto|lote|loteamento|esplanada|feira|"
    r"colônia|condomínio|praia|campo|cañada|peatonal|callejon|"
    r"bulevardul|calea|șoseaua|soseaua|aleea|piața|splaiul|drumul|intrarea|ulica|ul|aleja|al|"
    r"plac|osiedle|os|jalan|jl|gang|gg|cadde|caddesi|cad|sokak|sokağı|sk|mahallesi|mah|"
    r"periférico|circunvalación|viaducto|privada|prolongación|cerrada|retorno|diagonal|andador|"
    r"circuito|calzada|continuación|ул|улица|пр|просп|проспект|пер|переулок|бул|бульвар|ш|шоссе|"
    r"наб|набережная|пл|площадь|алл|аллея|туп|тупик|вулиця|вул|провулок|пров|майдан|сквер|шосе|"
    r"узвіз|бульв|набережна|площа|алея|парк|οδός|οδ\.|λεωφόρος|λεωφ\.|πλατεία|πλ\."
)
# French and French-Canadian streets written number first ("45, rue de Samson").
_TYPE_AFTER_NUMBER = (
    r"rue|avenue|av|boulevard|bd|chemin|allée|impasse|place|quai|route|cours|passage|rang|"
    r"montée|voie|sentier|ruelle|côte|promenade"
)
_SUFFIX_IN_WORD = (
    r"straße|strasse|str\.|gasse|weg|ring|allee|platz|damm|ufer|steig|pfad|chaussee|promenade|"
    r"markt|graben|stieg|wall|berg|hof|straat|laan|plein|gracht|steeg|kade|singel|dreef|baan|"
    r"boulevard|pad|plantsoen|dijk|vej|gade|allé|stræde|plads|vænge|gatan|vägen|gränd|torget|"
    r"gata|stigen|backen|leden|veien|vegen|gaten|bakken|stien|tie|katu|kuja|polku|kaari|rinne|"
    r"tori|bulevardi|väylä|brekka|lia|haugen|myra|bråten|jordet|tunet|svingen|åsen|sletta|"
    r"grenda|lunden|skogen|bulevard|šetalište|ulice|třída|nábřeží|náměstí|cesta|trg|sady"
)
_SEPARATE_TYPE = (
    r"utca|u\.|út|tér|körút|krt\.|rkp\.|rakpart|sor|köz|sétány|stny\.|fasor|ulice|třída|cesta|"
    r"trg|sady|ulica"
)

_SUFFIX_EN_RE = alternation(_SUFFIX_EN)
_TYPE_FIRST_RE = alternation(_TYPE_FIRST)
_TYPE_AFTER_NUMBER_RE = alternation(_TYPE_AFTER_NUMBER)
_SUFFIX_IN_WORD_RE = alternation(_SUFFIX_IN_WORD)
_SEPARATE_TYPE_RE = alternation(_SEPARATE_TYPE)

_NOT_HOUSE_NUMBER = re.compile(
    r"(?:room|chapter|week|year|level|lecture|page|section|top|step|part|floor|unit|module|no|"
    r"number|grade|class|group|team|term|semester|episode|season|vol|issue|table|figure|fig|"
    r"question|q|£|\$|€|#)\.?\s*$",
    re.I,
)

_UNIT = r"(?:(?:Flat|Apt\.?|Apartment|Unit|Suite|Studio)\s+\d+[A-Za-z]?,?\s+)"
_EN = re.compile(
    rf"{_UNIT}?(?<![\w.,£$€])\d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})?,?\s+{_NAME}\s+"
    rf"(?:{_SUFFIX_EN_RE})\b\.?"
)
_FIRST = re.compile(
    rf"\b(?i:{_TYPE_FIRST_RE})(?!\w)\.?\s+(?:{_PARTICLE}\s+)?{_NAME}\.?,?\s*"
    rf"(?:(?:N[°ºo]\.?|Nr\.?|nr|No\.?|д\.|буд\.)\s*)?(?:{_NUMBER}|S/N|s/n)"
)
_NUMBER_THEN_FIRST = re.compile(
    rf"(?<![\w.,£$€])\d{{1,5}}[A-Za-z]?,?\s+(?i:{_TYPE_AFTER_NUMBER_RE})(?!\w)\.?\s+"
    rf"(?:{_PARTICLE}\s+)?{_NAME}"
)
_IN_WORD = re.compile(
    rf"(?<!\w)(?:(?:[{_UP}][\w'’]*-){{1,3}}|(?:[{_UP}][\w'’]*-){{0,3}}[{_UP}][\w'’]*)"
    rf"(?i:{_SUFFIX_IN_WORD_RE})(?:\s+|\.\s*){_NUMBER}"
    rf"|(?<!\w){_NAME}\s+(?i:{_SEPARATE_TYPE_RE})\s*{_NUMBER}"
)
# A name and a number right after an address word: streets with no type word ("moved to
# Opletalova 6"). Indian house numbers ("H.No. 807, Soni Street") and post office boxes.
_CUED_STREET = re.compile(
    r"(?:moved to|moving to|lives (?:at|on|in)|living (?:at|on)|staying at|address(?: is|:)|"
    r"wohnt in(?: der)?|habite(?: au)?|vive en|abita in|mora (?:na|em)|woont (?:aan|op)|bor på|"
    r"mieszka (?:na|przy)|bydlí (?:v|na)|živi (?:u|na))\s+"
    rf"(?P<street>{_NAME}[ \t]+{_NUMBER})"
)
_HOUSE_OR_BOX = re.compile(r"\b(?:H\.\s?No\.|P\.?O\.? Box|Postfach|Apartado|Casilla)\s*\d{1,6}")

_POSTCODE_ANY = (
    r"(?:[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2}|"  # UK
    r"[A-Z]\d[A-Z] ?\d[A-Z]\d|"  # Canada
    r"[AC-FHKNPRTV-Y]\d{2} ?[AC-FHKNPRTV-Y0-9]{4}|"  # Irish Eircode
    r"(?:[A-Z]{1,2}-)?\d{5}(?:-\d{3,4})?|\d{4} ?[A-Z]{2}|\d{3} \d{2}|\d{2}-\d{3}|\d{4}-\d{3}|"
    r"(?:ΤΚ )?\d{3} ?\d{2}|\d{4}|\d{6}|\d{8})"
)
_STREET_THEN_POSTCODE = re.compile(
    rf"(?<!\w){_NAME}\s+{_NUMBER},?\s*(?:\n|/|,)?\s*(?:{_POSTCODE_ANY})\s+{_WORD}"
)
_UK_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})\b"
)
_SEP = r"(?:\s*(?:,|\n|/|–|-)\s*|\s+)"
_EXTENSIONS = (
    # a flat, suite or building after the street
    re.compile(
        r",?\s*(?:Apt\.?|Apartment|Suite|Flat|Unit|Piso|Appartamento|Interior|Edif\.|Depto\.|"
        r"Dto\.|Local|Bl\.|Sc\.|Ap\.|кв\.|к\.|стр\.|Lgh|lgh)\s*\d+[A-Za-z]?",
        re.I,
    ),
    # a town, an optional state or province, and a postcode ("Thomasville, OK 40934")
    re.compile(
        rf"{_SEP}(?:{_NAME},?\s+){{0,2}}(?:[A-Z]{{2,4}},?\s+)?(?:{_POSTCODE_ANY})(?!\w)"
        rf"(?:,?\s+{_NAME})?"
    ),
    # a postcode then a town ("66258 Brand", "H-9124 Egyházasberény")
    re.compile(rf"{_SEP}(?:{_POSTCODE_ANY})(?!\w)(?:,?\s+{_NAME})?"),
    # a town alone, then a postcode on the next part ("/ Parkerbury / G4 2XE")
    re.compile(rf"{_SEP}{_NAME}{_SEP}(?:{_POSTCODE_ANY})(?!\w)"),
)
_ADDRESS_CUE = re.compile(
    r"(?:address|addr|lives?|living|moved|located|based|home|house|flat|stays?|resides?|"
    r"adresse|anschrift|wohnt|wohnhaft|domicile|habite|dirección|domicilio|vive|indirizzo|"
    r"abita|endereço|mora|adres|woont|adress|bor|osoite|asuu|cím|lakik|adresa|bydlí|"
    r"mieszka|adresą|adresie|adresă|locuiește|адрес|живет|живе|проживає|adresi|alamat)"
    r"\W{0,4}(?:\w+\W{1,3}){0,3}$",
    re.I,
)


_YEAR_FIRST = re.compile(r"(?:19|20)\d{2}\s")


def _extend(text: str, end: int, limit: int = 90) -> tuple[int, bool]:
    """Grow an address over what usually follows a street; (new end, postcode seen)."""
    postcode = False
    stop = min(len(text), end + limit)
    for _ in range(3):
        for i, pattern in enumerate(_EXTENSIONS):
            m = pattern.match(text, end, stop)
            if m and m.end() > end:
                end = m.end()
                postcode = postcode or i > 0
                break
        else:
            break
    return end, postcode


def find_addresses(text: str) -> list[Entity]:
    candidates: list[tuple[int, int, float, str]] = []
    for pattern, base, shape in (
        (_EN, 0.7, "number first"),
        (_FIRST, 0.72, "type first"),
        (_NUMBER_THEN_FIRST, 0.7, "number, type first"),
        (_IN_WORD, 0.72, "type in name"),
        (_STREET_THEN_POSTCODE, 0.8, "street and postcode"),
        (_HOUSE_OR_BOX, 0.6, "house number or box"),
    ):
        for m in pattern.finditer(text):
            # The 12 characters before, not the whole text before them copied for every match.
            before = text[max(0, m.start() - 12) : m.start()]
            if shape == "number first" and _NOT_HOUSE_NUMBER.search(before):
                continue
            candidates.append((m.start(), m.end(), base, shape))
    for m in _CUED_STREET.finditer(text):
        candidates.append(
            (m.start("street"), m.end("street"), 0.55, "street after an address word")
        )
    out: list[Entity] = []
    taken = SpanSet()
    for start, end, base, shape in sorted(candidates, key=lambda c: (c[0], -c[1])):
        if taken.holds(start):
            continue
        end, postcode = _extend(text, end)
        value = text[start:end].rstrip(" ,/\n-")
        end = start + len(value)
        score = base + (0.18 if postcode else 0.0)
        cue = _ADDRESS_CUE.search(text[max(0, start - 40) : start])
        if cue:
            score += 0.12
        elif shape == "number first" and not postcode and _YEAR_FIRST.match(value):
            score -= 0.25  # "2064 Supreme Court Confirmation": a year before capitalised words
        out.append(Entity("postal_address", start, end, value, round(min(score, 0.96), 3), shape))
        taken.add(start, end)
    for m in _UK_POSTCODE.finditer(text):
        if taken.holds(m.start()):
            continue
        out.append(Entity("postcode", m.start(), m.end(), m.group(0), 0.8, "UK postcode", "GB"))
    return out
