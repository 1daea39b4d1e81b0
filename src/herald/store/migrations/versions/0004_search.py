"""Full-text search over articles and stories.

SQLite: FTS5 indexes with the ``unicode61 remove_diacritics 2`` tokenizer, kept in step with
their tables by triggers. ``articles_fts`` is an external-content index over the articles'
title, summary and text. ``stories_fts`` is contentless: it indexes each story's title and its
entities decoded from their JSON list (so that "São Paulo" is indexed as words, not as the
``S\\u00e3o Paulo`` escape the column stores); stories change both as they grow and merge.

PostgreSQL: GIN indexes on weighted ``to_tsvector('simple', ...)`` vectors (the 'simple'
configuration: sources are multilingual, so no language's stemmer or stop words), queried with
``websearch_to_tsquery``: for articles a stored generated column ``search_vector`` (see
POSTGRES_UP), for stories index expressions. Long columns are cut (``left``) so that no row can
exceed the size limit of a ``tsvector``. ``herald.store.search`` writes the very same
expressions; a test checks that PostgreSQL answers its queries from these indexes.

Existing rows are indexed here: FTS5's 'rebuild' and an INSERT ... SELECT on SQLite; on
PostgreSQL, adding the generated column computes it for every row and the indexes are built.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TOKENIZER = "unicode61 remove_diacritics 2"

# A story's entities (a JSON list of names) as space-separated words; a malformed list is
# indexed as it is rather than failing the write.
ENTITY_WORDS = (
    "CASE WHEN json_valid({row}.entities) "
    "THEN (SELECT group_concat(value, ' ') FROM json_each({row}.entities)) "
    "ELSE {row}.entities END"
)

SQLITE_UP = [
    f"""CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, summary, text,
        content='articles', content_rowid='id', tokenize='{TOKENIZER}'
    )""",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, summary, text)
        VALUES (new.id, new.title, new.summary, new.text);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, text)
        VALUES ('delete', old.id, old.title, old.summary, old.text);
    END""",
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, text)
        VALUES ('delete', old.id, old.title, old.summary, old.text);
        INSERT INTO articles_fts(rowid, title, summary, text)
        VALUES (new.id, new.title, new.summary, new.text);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    f"""CREATE VIRTUAL TABLE stories_fts USING fts5(
        title, entities, content='', tokenize='{TOKENIZER}'
    )""",
    f"""CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN
        INSERT INTO stories_fts(rowid, title, entities)
        VALUES (new.id, new.title, {ENTITY_WORDS.format(row="new")});
    END""",
    f"""CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
        INSERT INTO stories_fts(stories_fts, rowid, title, entities)
        VALUES ('delete', old.id, old.title, {ENTITY_WORDS.format(row="old")});
    END""",
    f"""CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, entities ON stories BEGIN
        INSERT INTO stories_fts(stories_fts, rowid, title, entities)
        VALUES ('delete', old.id, old.title, {ENTITY_WORDS.format(row="old")});
        INSERT INTO stories_fts(rowid, title, entities)
        VALUES (new.id, new.title, {ENTITY_WORDS.format(row="new")});
    END""",
    f"""INSERT INTO stories_fts(rowid, title, entities)
        SELECT id, title, {ENTITY_WORDS.format(row="stories")} FROM stories""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS stories_fts_update",
    "DROP TRIGGER IF EXISTS stories_fts_delete",
    "DROP TRIGGER IF EXISTS stories_fts_insert",
    "DROP TABLE IF EXISTS stories_fts",
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
]

# Articles keep their vector in a stored generated column: ranking needs the vector of every
# match, and parsing long texts again for each of thousands of matches took seconds (and the
# planner, which cannot see that cost, may choose to parse every row). Stories are short and
# use expression indexes. Keep in step with herald.store.search (ARTICLE_VECTOR and friends).
POSTGRES_UP = [
    """ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, left(title, 1000)), 'A')
        || setweight(to_tsvector('simple'::regconfig, left(summary, 20000)), 'B')
        || setweight(to_tsvector('simple'::regconfig, left(text, 100000)), 'C')
    ) STORED""",
    "CREATE INDEX ix_articles_search ON articles USING gin (search_vector)",
    """CREATE INDEX ix_stories_search ON stories USING gin ((
        setweight(to_tsvector('simple'::regconfig, left(title, 1000)), 'A')
        || setweight(to_tsvector('simple'::regconfig, CAST(entities AS jsonb)), 'B')
    ))""",
    """CREATE INDEX ix_stories_entities_search ON stories USING gin (
        to_tsvector('simple'::regconfig, CAST(entities AS jsonb))
    )""",
]

POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_stories_entities_search",
    "DROP INDEX IF EXISTS ix_stories_search",
    "DROP INDEX IF EXISTS ix_articles_search",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRES_UP)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWN)
