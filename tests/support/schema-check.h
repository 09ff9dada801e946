/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * schema-check.h: a JSON Schema (draft 2020-12) validator on json-glib for
 * the subset of keywords the schemas of docs/schema use, so the suites can
 * hold every message they receive to the written contract.
 *
 * Validation keywords: type, enum, const, properties, required,
 * additionalProperties, propertyNames, minProperties, maxProperties,
 * items (one schema for every element), minItems, maxItems, minimum,
 * maximum, minLength, maxLength (in code points), pattern (GRegex, an
 * unanchored search where "$" matches only at the very end, as in
 * ECMAScript), allOf, anyOf, oneOf, $ref. A $ref is "#/json/pointer" into
 * the same document or "FILE.json#/json/pointer" into a sibling file of
 * the set's directory. Annotations ($schema, $id, $comment, $defs, title,
 * description, examples, default, deprecated, readOnly, writeOnly) are
 * ignored. Any other keyword is an error of the schema, never silently
 * ignored: a schema that needs more needs this file extended (with a test
 * in tests/test-schema-check.c).
 *
 * "integer" is any number without a fractional part (1.0 included), as the
 * specification says; "number" any number.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RT_SCHEMA_ERROR (rt_schema_error_quark ())
GQuark rt_schema_error_quark (void);

typedef enum
{
  RT_SCHEMA_ERROR_MISMATCH, /* the instance does not match the schema */
  RT_SCHEMA_ERROR_SCHEMA, /* the schema is broken or uses an unknown keyword */
  RT_SCHEMA_ERROR_FILE, /* a schema file cannot be read or parsed */
} RtSchemaError;

typedef struct _RtSchemaSet RtSchemaSet;

/* A set of schema documents: files of @dir (nullable: only documents
 * given with rt_schema_set_add()), loaded at first use and kept. */
RtSchemaSet *rt_schema_set_new (const gchar *dir);
void rt_schema_set_free (RtSchemaSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtSchemaSet, rt_schema_set_free)

/* The process-wide set of the repository's docs/schema (RT_SCHEMA_DIR, a
 * compile-time define of tests/meson.build). Transfer none, never freed. */
RtSchemaSet *rt_schema_set_get_default (void);

/* The directory the set reads, or %NULL. */
const gchar *rt_schema_set_get_dir (RtSchemaSet *set);

/* Adds @schema (a reference is taken) as the document @name, as if it were
 * that file of the directory; replaces one of that name. */
void rt_schema_set_add (RtSchemaSet *set, const gchar *name, JsonNode *schema);

/* TRUE when the document @name exists (loaded or in the directory). */
gboolean rt_schema_set_has (RtSchemaSet *set, const gchar *name);

/* Checks that the document @name is a schema this validator understands:
 * known keywords only, each with a value of the right shape, patterns that
 * compile, references that resolve (in every subschema, whether an
 * instance would reach it or not). */
gboolean
rt_schema_set_check (RtSchemaSet *set, const gchar *name, GError **error);

/* Validates @instance against the document @name. On a mismatch the
 * error (RT_SCHEMA_ERROR_MISMATCH) names the place in the instance (a
 * JSON pointer), the keyword and the place in the schema. */
gboolean rt_schema_set_validate (RtSchemaSet *set, const gchar *name,
    JsonNode *instance, GError **error);

/* Validates @instance against one schema given inline (references within
 * it only). */
gboolean
rt_schema_validate (JsonNode *schema, JsonNode *instance, GError **error);

G_END_DECLS
