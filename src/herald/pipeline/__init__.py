"""Stage shells: load work from storage, call each stage's pure core, persist the results.

Every step selects its work by state (entries pending extraction, articles without a story,
stories whose sources changed), so running a step twice changes nothing the second time and
a process killed mid-run resumes where it stopped.
"""
