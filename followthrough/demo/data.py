"""Made-up people and jobs for the demo business. Every name and address is fictional."""

FIRST_NAMES = [
    "Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Isla", "Jonah",
    "Kemi", "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sami", "Tara",
    "Umar", "Vera", "Wes", "Xena", "Yusuf", "Zoe", "Aaron", "Bea", "Carlos", "Dana",
    "Eli", "Fern", "Gus", "Hana", "Ivan", "Jade", "Kai", "Lena", "Marco", "Nora",
]
LAST_NAMES = [
    "Abbott", "Brooks", "Castillo", "Dunn", "Ellis", "Fischer", "Garcia", "Hale", "Ito",
    "Jensen", "Khan", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quigley", "Reyes",
    "Silva", "Turner",
]
STREETS = ["Mill Lane", "Orchard Road", "River Street", "Station Avenue", "Elm Close", "Hill View"]

DEFINING_MOMENTS = [
    "You were the only one who called back the same day.",
    "A neighbour recommended you after the kitchen job.",
    "Liked that the quote listed every part and its price.",
    "Found you on a local forum; the photos of past work sold it.",
    "You explained the options without any pressure.",
    "",
]

SERVICE_JOBS = [
    ("Boiler service", "Annual boiler service and safety check", 120),
    ("Repair", "Leaking kitchen tap replaced", 95),
    ("Installation", "New combi boiler installed", 2400),
    ("Repair", "Blocked drain cleared and camera survey", 180),
    ("Installation", "Bathroom radiator swap and power flush", 650),
]
PRODUCT_ORDERS = [
    ("Order", "Water softener with installation kit", 540),
    ("Order", "Smart thermostat, two-zone", 260),
    ("Order", "Replacement filter cartridges (pack of 4)", 48),
]
