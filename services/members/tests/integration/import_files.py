"""CSV files for the import's tests (the command line's and the HTTP operation's)."""

HEADER = ("person_ref;first_name;last_name;email;joined_on;cape_signed_on;cape_ends_on;"
          "cesa_signed_on;associate_on;left_on;left_reason;activity_code;activity_name\n")
GOOD = HEADER + (
    "P-1;Léa;Martin;lea@example.org;2025-01-01;2025-01-01;2025-11-01;2025-11-01;;;;BOULANGE;Boulangerie\n"
    "P-2;Karim;Benali;karim@example.org;2023-02-01;;;2023-02-01;2025-06-30;;;;\n"
    "P-3;Inès;Moreau;ines@example.org;2024-03-01;2024-03-01;2024-09-01;;;2024-08-31;moved away;;\n"
)
BAD = HEADER + (
    "P-1;Léa;Martin;lea@example.org;2025-13-01;;;;;;;;\n"              # line 2: bad date
    "P-2;Karim;Benali;;2023-02-01;;;;;;;;\n"                           # line 3: no email
    "P-3;Inès;Moreau;ines@example.org;2024-03-01;2024-03-01;2025-03-02;;;;;;\n"  # line 4: CAPE > 12 months
    "P-3;Inès;Moreau;ines@example.org;2024-03-01;;;;;;;;\n"           # line 5: duplicate ref
    "P-5;Jo;Petit;jo@example.org;2024-03-01;;;;;;;bad code;\n"        # line 6: bad activity code
)
