//! Word lists for the synthetic contact-extraction task, written for this project (common
//! given names and surnames, invented company names, world cities).

pub const FIRST_NAMES: &[&str] = &[
    "Maria", "James", "Aisha", "Liam", "Sofia", "Kenji", "Olivia", "Mateo", "Priya", "Noah",
    "Elena", "Omar", "Hannah", "Lucas", "Fatima", "Ethan", "Chloe", "Diego", "Mei", "Samuel",
    "Amara", "Jonas", "Isabel", "Ravi", "Grace", "Tomas", "Leila", "Daniel", "Nora", "Felix",
    "Yuki", "Adam", "Zara", "Victor", "Ingrid", "Kwame", "Lena", "Marco", "Anya", "Pedro",
];

pub const LAST_NAMES: &[&str] = &[
    "Lopez",
    "Smith",
    "Khan",
    "Murphy",
    "Rossi",
    "Tanaka",
    "Brown",
    "Garcia",
    "Patel",
    "Wilson",
    "Novak",
    "Haddad",
    "Schmidt",
    "Silva",
    "Okafor",
    "Nguyen",
    "Martin",
    "Fernandez",
    "Chen",
    "Taylor",
    "Mensah",
    "Berg",
    "Costa",
    "Sharma",
    "Evans",
    "Kowalski",
    "Rahman",
    "Moreau",
    "Lindqvist",
    "Weber",
    "Sato",
    "Cohen",
    "Ali",
    "Dubois",
    "Hansen",
    "Owusu",
    "Keller",
    "Romano",
    "Petrova",
    "Santos",
];

/// First halves of invented company names.
pub const COMPANY_HEADS: &[&str] = &[
    "Blue", "North", "Silver", "Green", "Bright", "Iron", "Cedar", "Maple", "Harbor", "Summit",
    "Pioneer", "Atlas", "Nova", "Orbit", "Lumen", "Red", "Stone", "Clear", "Swift", "Golden",
];

/// Second halves of invented company names.
pub const COMPANY_TAILS: &[&str] = &[
    "fin", "wind", "field", "bridge", "point", "gate", "wave", "leaf", "peak", "brook", "line",
    "forge",
];

pub const COMPANY_KINDS: &[&str] = &[
    "Logistics",
    "Analytics",
    "Labs",
    "Foods",
    "Studio",
    "Consulting",
    "Systems",
    "Partners",
    "Health",
    "Robotics",
    "Media",
    "Energy",
    "Travel",
    "Software",
    "Design",
];

pub const TLDS: &[&str] = &["com", "io", "co", "net", "org"];

/// Mail domains for people who give no company.
pub const MAIL_DOMAINS: &[&str] = &["mailbox.com", "inbox.net", "postbox.org", "fastpost.io"];

pub const CITIES: &[&str] = &[
    "Lisbon",
    "Toronto",
    "Nairobi",
    "Osaka",
    "Denver",
    "Lyon",
    "Krakow",
    "Austin",
    "Melbourne",
    "Bogota",
    "Oslo",
    "Dublin",
    "Accra",
    "Seoul",
    "Porto",
    "Chicago",
    "Munich",
    "Cape Town",
    "Vancouver",
    "Mumbai",
    "Valencia",
    "Helsinki",
    "Auckland",
    "Lagos",
    "Prague",
    "Boston",
    "Hamburg",
    "Manila",
    "Rotterdam",
    "San Diego",
];

/// Phone number shapes; `#` is a digit.
pub const PHONE_FORMATS: &[&str] = &[
    "+1 ### ### ####",
    "(###) ###-####",
    "###-###-####",
    "+44 ## #### ####",
    "+49 ## #######",
    "+33 # ## ## ## ##",
    "0## ### ####",
    "+31 ## ### ####",
];

/// Sentences that carry no contact detail (some with numbers that are not phone numbers).
pub const FILLERS: &[&str] = &[
    "Thanks for the quick reply yesterday.",
    "Looking forward to the demo next week.",
    "Sorry for the late answer.",
    "It's about the invoice from March.",
    "Our order number is 48213.",
    "We met at the trade fair in booth 17.",
    "The meeting moved to Thursday at 3 pm.",
    "Happy to send the slides again.",
];
