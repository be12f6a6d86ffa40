/* The JSON reader and writer (llmres.h's "JSON in" and "JSON out"), alone:
   - the parsing cases of JSONTestSuite (github.com/nst/JSONTestSuite, test_parsing): the
     same short inputs written here as literals, under the suite's names; every y_ must be
     read, every n_ refused as BAD_BODY, and the i_ (implementation-defined) go as llmres
     decides: numbers of any size and lone surrogate escapes (U+FFFD) read, ill-formed
     UTF-8, UTF-16, a byte order mark and nesting past LLMRES_JSON_MAX_DEPTH refused;
   - what the suite's strings decode to (the expected bytes from Python's json module);
   - a valid body cut anywhere is refused, an invalid one is never an answer, and a
     stream's text reaches on_text only from a valid event;
   - the compiled paths: depth, indexes, "*", limits;
   - the request writer: ill-formed UTF-8 as U+FFFD (one per maximal subpart), control
     characters escaped, and any prompt at all read back by the strict reader. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../test.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name, *json;
    size_t len;
    char expect; /* 'y' read, 'n' refused */
} jcase_t;

static const jcase_t suite[] = {
    {"i_number_double_huge_neg_exp", "[123.456e-789]", 14, 'y'},
    {"i_number_huge_exp", "[0.4e00669999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999969999999006]", 137, 'y'},
    {"i_number_neg_int_huge_exp", "[-1e+9999]", 10, 'y'},
    {"i_number_pos_double_huge_exp", "[1.5e+9999]", 11, 'y'},
    {"i_number_real_neg_overflow", "[-123123e100000]", 16, 'y'},
    {"i_number_real_pos_overflow", "[123123e100000]", 15, 'y'},
    {"i_number_real_underflow", "[123e-10000000]", 15, 'y'},
    {"i_number_too_big_neg_int", "[-123123123123123123123123123123]", 33, 'y'},
    {"i_number_too_big_pos_int", "[100000000000000000000]", 23, 'y'},
    {"i_number_very_big_negative_int", "[-237462374673276894279832749832423479823246327846]", 51, 'y'},
    {"i_object_key_lone_2nd_surrogate", "{\"\\uDFAA\":0}", 12, 'y'},
    {"i_string_1st_surrogate_but_2nd_missing", "[\"\\uDADA\"]", 10, 'y'},
    {"i_string_1st_valid_surrogate_2nd_invalid", "[\"\\uD888\\u1234\"]", 16, 'y'},
    {"i_string_UTF-16LE_with_BOM", "\xFF\xFE[\x00\"\x00\xE9\x00\"\x00]\x00", 12, 'n'},
    {"i_string_UTF-8_invalid_sequence", "[\"\xE6\x97\xA5\xD1\x88\xFA\"]", 10, 'n'},
    {"i_string_UTF8_surrogate_U+D800", "[\"\xED\xA0\x80\"]", 7, 'n'},
    {"i_string_incomplete_surrogate_and_escape_valid", "[\"\\uD800\\n\"]", 12, 'y'},
    {"i_string_incomplete_surrogate_pair", "[\"\\uDd1ea\"]", 11, 'y'},
    {"i_string_incomplete_surrogates_escape_valid", "[\"\\uD800\\uD800\\n\"]", 18, 'y'},
    {"i_string_invalid_lonely_surrogate", "[\"\\ud800\"]", 10, 'y'},
    {"i_string_invalid_surrogate", "[\"\\ud800abc\"]", 13, 'y'},
    {"i_string_invalid_utf-8", "[\"\xFF\"]", 5, 'n'},
    {"i_string_inverted_surrogates_U+1D11E", "[\"\\uDd1e\\uD834\"]", 16, 'y'},
    {"i_string_iso_latin_1", "[\"\xE9\"]", 5, 'n'},
    {"i_string_lone_second_surrogate", "[\"\\uDFAA\"]", 10, 'y'},
    {"i_string_lone_utf8_continuation_byte", "[\"\x81\"]", 5, 'n'},
    {"i_string_not_in_unicode_range", "[\"\xF4\xBF\xBF\xBF\"]", 8, 'n'},
    {"i_string_overlong_sequence_2_bytes", "[\"\xC0\xAF\"]", 6, 'n'},
    {"i_string_overlong_sequence_6_bytes", "[\"\xFC\x83\xBF\xBF\xBF\xBF\"]", 10, 'n'},
    {"i_string_overlong_sequence_6_bytes_null", "[\"\xFC\x80\x80\x80\x80\x80\"]", 10, 'n'},
    {"i_string_truncated-utf-8", "[\"\xE0\xFF\"]", 6, 'n'},
    {"i_string_utf16BE_no_BOM", "\x00[\x00\"\x00\xE9\x00\"\x00]", 10, 'n'},
    {"i_string_utf16LE_no_BOM", "[\x00\"\x00\xE9\x00\"\x00]\x00", 10, 'n'},
    {"i_structure_UTF-8_BOM_empty_object", "\xEF\xBB\xBF{}", 5, 'n'},
    {"n_array_1_true_without_comma", "[1 true]", 8, 'n'},
    {"n_array_a_invalid_utf8", "[a\xE5]", 4, 'n'},
    {"n_array_colon_instead_of_comma", "[\"\": 1]", 7, 'n'},
    {"n_array_comma_after_close", "[\"\"],", 5, 'n'},
    {"n_array_comma_and_number", "[,1]", 4, 'n'},
    {"n_array_double_comma", "[1,,2]", 6, 'n'},
    {"n_array_double_extra_comma", "[\"x\",,]", 7, 'n'},
    {"n_array_extra_close", "[\"x\"]]", 6, 'n'},
    {"n_array_extra_comma", "[\"\",]", 5, 'n'},
    {"n_array_incomplete", "[\"x\"", 4, 'n'},
    {"n_array_incomplete_invalid_value", "[x", 2, 'n'},
    {"n_array_inner_array_no_comma", "[3[4]]", 6, 'n'},
    {"n_array_invalid_utf8", "[\xFF]", 3, 'n'},
    {"n_array_items_separated_by_semicolon", "[1:2]", 5, 'n'},
    {"n_array_just_comma", "[,]", 3, 'n'},
    {"n_array_just_minus", "[-]", 3, 'n'},
    {"n_array_missing_value", "[   , \"\"]", 9, 'n'},
    {"n_array_newlines_unclosed", "[\"a\",\n4\n,1,", 11, 'n'},
    {"n_array_number_and_comma", "[1,]", 4, 'n'},
    {"n_array_number_and_several_commas", "[1,,]", 5, 'n'},
    {"n_array_spaces_vertical_tab_formfeed", "[\"\x0B" "a\"\\f]", 8, 'n'},
    {"n_array_star_inside", "[*]", 3, 'n'},
    {"n_array_unclosed", "[\"\"", 3, 'n'},
    {"n_array_unclosed_trailing_comma", "[1,", 3, 'n'},
    {"n_array_unclosed_with_new_lines", "[1,\n1\n,1", 8, 'n'},
    {"n_array_unclosed_with_object_inside", "[{}", 3, 'n'},
    {"n_incomplete_false", "[fals]", 6, 'n'},
    {"n_incomplete_null", "[nul]", 5, 'n'},
    {"n_incomplete_true", "[tru]", 5, 'n'},
    {"n_multidigit_number_then_00", "123\x00", 4, 'n'},
    {"n_number_++", "[++1234]", 8, 'n'},
    {"n_number_+1", "[+1]", 4, 'n'},
    {"n_number_+Inf", "[+Inf]", 6, 'n'},
    {"n_number_-01", "[-01]", 5, 'n'},
    {"n_number_-1.0.", "[-1.0.]", 7, 'n'},
    {"n_number_-2.", "[-2.]", 5, 'n'},
    {"n_number_-NaN", "[-NaN]", 6, 'n'},
    {"n_number_.-1", "[.-1]", 5, 'n'},
    {"n_number_.2e-3", "[.2e-3]", 7, 'n'},
    {"n_number_0.1.2", "[0.1.2]", 7, 'n'},
    {"n_number_0.3e+", "[0.3e+]", 7, 'n'},
    {"n_number_0.3e", "[0.3e]", 6, 'n'},
    {"n_number_0.e1", "[0.e1]", 6, 'n'},
    {"n_number_0_capital_E+", "[0E+]", 5, 'n'},
    {"n_number_0_capital_E", "[0E]", 4, 'n'},
    {"n_number_0e+", "[0e+]", 5, 'n'},
    {"n_number_0e", "[0e]", 4, 'n'},
    {"n_number_1.0e+", "[1.0e+]", 7, 'n'},
    {"n_number_1.0e-", "[1.0e-]", 7, 'n'},
    {"n_number_1.0e", "[1.0e]", 6, 'n'},
    {"n_number_1_000", "[1 000.0]", 9, 'n'},
    {"n_number_1eE2", "[1eE2]", 6, 'n'},
    {"n_number_2.e+3", "[2.e+3]", 7, 'n'},
    {"n_number_2.e-3", "[2.e-3]", 7, 'n'},
    {"n_number_2.e3", "[2.e3]", 6, 'n'},
    {"n_number_9.e+", "[9.e+]", 6, 'n'},
    {"n_number_Inf", "[Inf]", 5, 'n'},
    {"n_number_NaN", "[NaN]", 5, 'n'},
    {"n_number_U+FF11_fullwidth_digit_one", "[\xEF\xBC\x91]", 5, 'n'},
    {"n_number_expression", "[1+2]", 5, 'n'},
    {"n_number_hex_1_digit", "[0x1]", 5, 'n'},
    {"n_number_hex_2_digits", "[0x42]", 6, 'n'},
    {"n_number_infinity", "[Infinity]", 10, 'n'},
    {"n_number_invalid+-", "[0e+-1]", 7, 'n'},
    {"n_number_invalid-negative-real", "[-123.123foo]", 13, 'n'},
    {"n_number_invalid-utf-8-in-bigger-int", "[123\xE5]", 6, 'n'},
    {"n_number_invalid-utf-8-in-exponent", "[1e1\xE5]", 6, 'n'},
    {"n_number_invalid-utf-8-in-int", "[0\xE5]\n", 5, 'n'},
    {"n_number_minus_infinity", "[-Infinity]", 11, 'n'},
    {"n_number_minus_sign_with_trailing_garbage", "[-foo]", 6, 'n'},
    {"n_number_minus_space_1", "[- 1]", 5, 'n'},
    {"n_number_neg_int_starting_with_zero", "[-012]", 6, 'n'},
    {"n_number_neg_real_without_int_part", "[-.123]", 7, 'n'},
    {"n_number_neg_with_garbage_at_end", "[-1x]", 5, 'n'},
    {"n_number_real_garbage_after_e", "[1ea]", 5, 'n'},
    {"n_number_real_with_invalid_utf8_after_e", "[1e\xE5]", 5, 'n'},
    {"n_number_real_without_fractional_part", "[1.]", 4, 'n'},
    {"n_number_starting_with_dot", "[.123]", 6, 'n'},
    {"n_number_with_alpha", "[1.2a-3]", 8, 'n'},
    {"n_number_with_alpha_char", "[1.8011670033376514H-308]", 25, 'n'},
    {"n_number_with_leading_zero", "[012]", 5, 'n'},
    {"n_object_bad_value", "[\"x\", truth]", 12, 'n'},
    {"n_object_bracket_key", "{[: \"x\"}\n", 9, 'n'},
    {"n_object_comma_instead_of_colon", "{\"x\", null}", 11, 'n'},
    {"n_object_double_colon", "{\"x\"::\"b\"}", 10, 'n'},
    {"n_object_emoji", "{\xF0\x9F\x87\xA8\xF0\x9F\x87\xAD}", 10, 'n'},
    {"n_object_garbage_at_end", "{\"a\":\"a\" 123}", 13, 'n'},
    {"n_object_key_with_single_quotes", "{key: 'value'}", 14, 'n'},
    {"n_object_lone_continuation_byte_in_key_and_trailing_comma", "{\"\xB9\":\"0\",}", 10, 'n'},
    {"n_object_missing_colon", "{\"a\" b}", 7, 'n'},
    {"n_object_missing_key", "{:\"b\"}", 6, 'n'},
    {"n_object_missing_semicolon", "{\"a\" \"b\"}", 9, 'n'},
    {"n_object_missing_value", "{\"a\":", 5, 'n'},
    {"n_object_no-colon", "{\"a\"", 4, 'n'},
    {"n_object_non_string_key", "{1:1}", 5, 'n'},
    {"n_object_non_string_key_but_huge_number_instead", "{9999E9999:1}", 13, 'n'},
    {"n_object_repeated_null_null", "{null:null,null:null}", 21, 'n'},
    {"n_object_several_trailing_commas", "{\"id\":0,,,,,}", 13, 'n'},
    {"n_object_single_quote", "{'a':0}", 7, 'n'},
    {"n_object_trailing_comma", "{\"id\":0,}", 9, 'n'},
    {"n_object_trailing_comment", "{\"a\":\"b\"}/**/", 13, 'n'},
    {"n_object_trailing_comment_open", "{\"a\":\"b\"}/**//", 14, 'n'},
    {"n_object_trailing_comment_slash_open", "{\"a\":\"b\"}//", 11, 'n'},
    {"n_object_trailing_comment_slash_open_incomplete", "{\"a\":\"b\"}/", 10, 'n'},
    {"n_object_two_commas_in_a_row", "{\"a\":\"b\",,\"c\":\"d\"}", 18, 'n'},
    {"n_object_unquoted_key", "{a: \"b\"}", 8, 'n'},
    {"n_object_unterminated-value", "{\"a\":\"a", 7, 'n'},
    {"n_object_with_single_string", "{ \"foo\" : \"bar\", \"a\" }", 22, 'n'},
    {"n_object_with_trailing_garbage", "{\"a\":\"b\"}#", 10, 'n'},
    {"n_single_space", " ", 1, 'n'},
    {"n_string_1_surrogate_then_escape", "[\"\\uD800\\\"]", 11, 'n'},
    {"n_string_1_surrogate_then_escape_u", "[\"\\uD800\\u\"]", 12, 'n'},
    {"n_string_1_surrogate_then_escape_u1", "[\"\\uD800\\u1\"]", 13, 'n'},
    {"n_string_1_surrogate_then_escape_u1x", "[\"\\uD800\\u1x\"]", 14, 'n'},
    {"n_string_accentuated_char_no_quotes", "[\xC3\xA9]", 4, 'n'},
    {"n_string_backslash_00", "[\"\\\x00\"]", 6, 'n'},
    {"n_string_escape_x", "[\"\\x00\"]", 8, 'n'},
    {"n_string_escaped_backslash_bad", "[\"\\\\\\\"]", 7, 'n'},
    {"n_string_escaped_ctrl_char_tab", "[\"\\\t\"]", 6, 'n'},
    {"n_string_escaped_emoji", "[\"\\\xF0\x9F\x8C\x80\"]", 9, 'n'},
    {"n_string_incomplete_escape", "[\"\\\"]", 5, 'n'},
    {"n_string_incomplete_escaped_character", "[\"\\u00A\"]", 9, 'n'},
    {"n_string_incomplete_surrogate", "[\"\\uD834\\uDd\"]", 14, 'n'},
    {"n_string_incomplete_surrogate_escape_invalid", "[\"\\uD800\\uD800\\x\"]", 18, 'n'},
    {"n_string_invalid-utf-8-in-escape", "[\"\\u\xE5\"]", 7, 'n'},
    {"n_string_invalid_backslash_esc", "[\"\\a\"]", 6, 'n'},
    {"n_string_invalid_unicode_escape", "[\"\\uqqqq\"]", 10, 'n'},
    {"n_string_invalid_utf8_after_escape", "[\"\\\xE5\"]", 6, 'n'},
    {"n_string_leading_uescaped_thinspace", "[\\u0020\"asd\"]", 13, 'n'},
    {"n_string_no_quotes_with_bad_escape", "[\\n]", 4, 'n'},
    {"n_string_single_doublequote", "\"", 1, 'n'},
    {"n_string_single_quote", "['single quote']", 16, 'n'},
    {"n_string_single_string_no_double_quotes", "abc", 3, 'n'},
    {"n_string_start_escape_unclosed", "[\"\\", 3, 'n'},
    {"n_string_unescaped_ctrl_char", "[\"a\x00" "a\"]", 7, 'n'},
    {"n_string_unescaped_newline", "[\"new\nline\"]", 12, 'n'},
    {"n_string_unescaped_tab", "[\"\t\"]", 5, 'n'},
    {"n_string_unicode_CapitalU", "\"\\UA66D\"", 8, 'n'},
    {"n_string_with_trailing_garbage", "\"\"x", 3, 'n'},
    {"n_structure_U+2060_word_joined", "[\xE2\x81\xA0]", 5, 'n'},
    {"n_structure_UTF8_BOM_no_data", "\xEF\xBB\xBF", 3, 'n'},
    {"n_structure_angle_bracket_.", "<.>", 3, 'n'},
    {"n_structure_angle_bracket_null", "[<null>]", 8, 'n'},
    {"n_structure_array_trailing_garbage", "[1]x", 4, 'n'},
    {"n_structure_array_with_extra_array_close", "[1]]", 4, 'n'},
    {"n_structure_array_with_unclosed_string", "[\"asd]", 6, 'n'},
    {"n_structure_ascii-unicode-identifier", "a\xC3\xA5", 3, 'n'},
    {"n_structure_capitalized_True", "[True]", 6, 'n'},
    {"n_structure_close_unopened_array", "1]", 2, 'n'},
    {"n_structure_comma_instead_of_closing_brace", "{\"x\": true,", 11, 'n'},
    {"n_structure_double_array", "[][]", 4, 'n'},
    {"n_structure_end_array", "]", 1, 'n'},
    {"n_structure_incomplete_UTF8_BOM", "\xEF\xBB{}", 4, 'n'},
    {"n_structure_lone-invalid-utf-8", "\xE5", 1, 'n'},
    {"n_structure_lone-open-bracket", "[", 1, 'n'},
    {"n_structure_no_data", "", 0, 'n'},
    {"n_structure_null-byte-outside-string", "[\x00]", 3, 'n'},
    {"n_structure_number_with_trailing_garbage", "2@", 2, 'n'},
    {"n_structure_object_followed_by_closing_object", "{}}", 3, 'n'},
    {"n_structure_object_unclosed_no_value", "{\"\":", 4, 'n'},
    {"n_structure_object_with_comment", "{\"a\":/*comment*/\"b\"}", 20, 'n'},
    {"n_structure_object_with_trailing_garbage", "{\"a\": true} \"x\"", 15, 'n'},
    {"n_structure_open_array_apostrophe", "['", 2, 'n'},
    {"n_structure_open_array_comma", "[,", 2, 'n'},
    {"n_structure_open_array_open_object", "[{", 2, 'n'},
    {"n_structure_open_array_open_string", "[\"a", 3, 'n'},
    {"n_structure_open_array_string", "[\"a\"", 4, 'n'},
    {"n_structure_open_object", "{", 1, 'n'},
    {"n_structure_open_object_close_array", "{]", 2, 'n'},
    {"n_structure_open_object_comma", "{,", 2, 'n'},
    {"n_structure_open_object_open_array", "{[", 2, 'n'},
    {"n_structure_open_object_open_string", "{\"a", 3, 'n'},
    {"n_structure_open_object_string_with_apostrophes", "{'a'", 4, 'n'},
    {"n_structure_open_open", "[\"\\{[\"\\{[\"\\{[\"\\{", 16, 'n'},
    {"n_structure_single_eacute", "\xE9", 1, 'n'},
    {"n_structure_single_star", "*", 1, 'n'},
    {"n_structure_trailing_#", "{\"a\":\"b\"}#{}", 12, 'n'},
    {"n_structure_uescaped_LF_before_string", "[\\u000A\"\"]", 10, 'n'},
    {"n_structure_unclosed_array", "[1", 2, 'n'},
    {"n_structure_unclosed_array_partial_null", "[ false, nul", 12, 'n'},
    {"n_structure_unclosed_array_unfinished_false", "[ true, fals", 12, 'n'},
    {"n_structure_unclosed_array_unfinished_true", "[ false, tru", 12, 'n'},
    {"n_structure_unclosed_object", "{\"asd\":\"asd\"", 12, 'n'},
    {"n_structure_unicode-identifier", "\xC3\xA5", 2, 'n'},
    {"n_structure_whitespace_U+2060_word_joiner", "[\xE2\x81\xA0]", 5, 'n'},
    {"n_structure_whitespace_formfeed", "[\x0C]", 3, 'n'},
    {"y_array_arraysWithSpaces", "[[]   ]", 7, 'y'},
    {"y_array_empty-string", "[\"\"]", 4, 'y'},
    {"y_array_empty", "[]", 2, 'y'},
    {"y_array_ending_with_newline", "[\"a\"]", 5, 'y'},
    {"y_array_false", "[false]", 7, 'y'},
    {"y_array_heterogeneous", "[null, 1, \"1\", {}]", 18, 'y'},
    {"y_array_null", "[null]", 6, 'y'},
    {"y_array_with_1_and_newline", "[1\n]", 4, 'y'},
    {"y_array_with_leading_space", " [1]", 4, 'y'},
    {"y_array_with_several_null", "[1,null,null,null,2]", 20, 'y'},
    {"y_array_with_trailing_space", "[2] ", 4, 'y'},
    {"y_number", "[123e65]", 8, 'y'},
    {"y_number_0e+1", "[0e+1]", 6, 'y'},
    {"y_number_0e1", "[0e1]", 5, 'y'},
    {"y_number_after_space", "[ 4]", 4, 'y'},
    {"y_number_double_close_to_zero", "[-0.000000000000000000000000000000000000000000000000000000000000000000000000000001]\n", 84, 'y'},
    {"y_number_int_with_exp", "[20e1]", 6, 'y'},
    {"y_number_minus_zero", "[-0]", 4, 'y'},
    {"y_number_negative_int", "[-123]", 6, 'y'},
    {"y_number_negative_one", "[-1]", 4, 'y'},
    {"y_number_negative_zero", "[-0]", 4, 'y'},
    {"y_number_real_capital_e", "[1E22]", 6, 'y'},
    {"y_number_real_capital_e_neg_exp", "[1E-2]", 6, 'y'},
    {"y_number_real_capital_e_pos_exp", "[1E+2]", 6, 'y'},
    {"y_number_real_exponent", "[123e45]", 8, 'y'},
    {"y_number_real_fraction_exponent", "[123.456e78]", 12, 'y'},
    {"y_number_real_neg_exp", "[1e-2]", 6, 'y'},
    {"y_number_real_pos_exponent", "[1e+2]", 6, 'y'},
    {"y_number_simple_int", "[123]", 5, 'y'},
    {"y_number_simple_real", "[123.456789]", 12, 'y'},
    {"y_object", "{\"asd\":\"sdf\", \"dfg\":\"fgh\"}", 26, 'y'},
    {"y_object_basic", "{\"asd\":\"sdf\"}", 13, 'y'},
    {"y_object_duplicated_key", "{\"a\":\"b\",\"a\":\"c\"}", 17, 'y'},
    {"y_object_duplicated_key_and_value", "{\"a\":\"b\",\"a\":\"b\"}", 17, 'y'},
    {"y_object_empty", "{}", 2, 'y'},
    {"y_object_empty_key", "{\"\":0}", 6, 'y'},
    {"y_object_escaped_null_in_key", "{\"foo\\u0000bar\": 42}", 20, 'y'},
    {"y_object_extreme_numbers", "{ \"min\": -1.0e+28, \"max\": 1.0e+28 }", 35, 'y'},
    {"y_object_long_strings", "{\"x\":[{\"id\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}], \"id\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", 108, 'y'},
    {"y_object_simple", "{\"a\":[]}", 8, 'y'},
    {"y_object_string_unicode", "{\"title\":\"\\u041f\\u043e\\u043b\\u0442\\u043e\\u0440\\u0430 \\u0417\\u0435\\u043c\\u043b\\u0435\\u043a\\u043e\\u043f\\u0430\" }", 110, 'y'},
    {"y_object_with_newlines", "{\n\"a\": \"b\"\n}", 12, 'y'},
    {"y_string_1_2_3_bytes_UTF-8_sequences", "[\"\\u0060\\u012a\\u12AB\"]", 22, 'y'},
    {"y_string_accepted_surrogate_pair", "[\"\\uD801\\udc37\"]", 16, 'y'},
    {"y_string_accepted_surrogate_pairs", "[\"\\ud83d\\ude39\\ud83d\\udc8d\"]", 28, 'y'},
    {"y_string_allowed_escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 20, 'y'},
    {"y_string_backslash_and_u_escaped_zero", "[\"\\\\u0000\"]", 11, 'y'},
    {"y_string_backslash_doublequotes", "[\"\\\"\"]", 6, 'y'},
    {"y_string_comments", "[\"a/*b*/c/*d//e\"]", 17, 'y'},
    {"y_string_double_escape_a", "[\"\\\\a\"]", 7, 'y'},
    {"y_string_double_escape_n", "[\"\\\\n\"]", 7, 'y'},
    {"y_string_escaped_control_character", "[\"\\u0012\"]", 10, 'y'},
    {"y_string_escaped_noncharacter", "[\"\\uFFFF\"]", 10, 'y'},
    {"y_string_in_array", "[\"asd\"]", 7, 'y'},
    {"y_string_in_array_with_leading_space", "[ \"asd\"]", 8, 'y'},
    {"y_string_last_surrogates_1_and_2", "[\"\\uDBFF\\uDFFF\"]", 16, 'y'},
    {"y_string_nbsp_uescaped", "[\"new\\u00A0line\"]", 17, 'y'},
    {"y_string_nonCharacterInUTF-8_U+10FFFF", "[\"\xF4\x8F\xBF\xBF\"]", 8, 'y'},
    {"y_string_nonCharacterInUTF-8_U+FFFF", "[\"\xEF\xBF\xBF\"]", 7, 'y'},
    {"y_string_null_escape", "[\"\\u0000\"]", 10, 'y'},
    {"y_string_one-byte-utf-8", "[\"\\u002c\"]", 10, 'y'},
    {"y_string_pi", "[\"\xCF\x80\"]", 6, 'y'},
    {"y_string_reservedCharacterInUTF-8_U+1BFFF", "[\"\xF0\x9B\xBF\xBF\"]", 8, 'y'},
    {"y_string_simple_ascii", "[\"asd \"]", 8, 'y'},
    {"y_string_space", "\" \"", 3, 'y'},
    {"y_string_surrogates_U+1D11E_MUSICAL_SYMBOL_G_CLEF", "[\"\\uD834\\uDd1e\"]", 16, 'y'},
    {"y_string_three-byte-utf-8", "[\"\\u0821\"]", 10, 'y'},
    {"y_string_two-byte-utf-8", "[\"\\u0123\"]", 10, 'y'},
    {"y_string_u+2028_line_sep", "[\"\xE2\x80\xA8\"]", 7, 'y'},
    {"y_string_u+2029_par_sep", "[\"\xE2\x80\xA9\"]", 7, 'y'},
    {"y_string_uEscape", "[\"\\u0061\\u30af\\u30EA\\u30b9\"]", 28, 'y'},
    {"y_string_uescaped_newline", "[\"new\\u000Aline\"]", 17, 'y'},
    {"y_string_unescaped_char_delete", "[\"\x7F\"]", 5, 'y'},
    {"y_string_unicode", "[\"\\uA66D\"]", 10, 'y'},
    {"y_string_unicodeEscapedBackslash", "[\"\\u005C\"]", 10, 'y'},
    {"y_string_unicode_2", "[\"\xE2\x8D\x82\xE3\x88\xB4\xE2\x8D\x82\"]", 13, 'y'},
    {"y_string_unicode_U+10FFFE_nonchar", "[\"\\uDBFF\\uDFFE\"]", 16, 'y'},
    {"y_string_unicode_U+1FFFE_nonchar", "[\"\\uD83F\\uDFFE\"]", 16, 'y'},
    {"y_string_unicode_U+200B_ZERO_WIDTH_SPACE", "[\"\\u200B\"]", 10, 'y'},
    {"y_string_unicode_U+2064_invisible_plus", "[\"\\u2064\"]", 10, 'y'},
    {"y_string_unicode_U+FDD0_nonchar", "[\"\\uFDD0\"]", 10, 'y'},
    {"y_string_unicode_U+FFFE_nonchar", "[\"\\uFFFE\"]", 10, 'y'},
    {"y_string_unicode_escaped_double_quote", "[\"\\u0022\"]", 10, 'y'},
    {"y_string_utf8", "[\"\xE2\x82\xAC\xF0\x9D\x84\x9E\"]", 11, 'y'},
    {"y_string_with_del_character", "[\"a\x7F" "a\"]", 7, 'y'},
    {"y_structure_lonely_false", "false", 5, 'y'},
    {"y_structure_lonely_int", "42", 2, 'y'},
    {"y_structure_lonely_negative_real", "-0.1", 4, 'y'},
    {"y_structure_lonely_null", "null", 4, 'y'},
    {"y_structure_lonely_string", "\"asd\"", 5, 'y'},
    {"y_structure_lonely_true", "true", 4, 'y'},
    {"y_structure_string_empty", "\"\"", 2, 'y'},
    {"y_structure_trailing_newline", "[\"a\"]\n", 6, 'y'},
    {"y_structure_true_in_array", "[true]", 6, 'y'},
    {"y_structure_whitespace_array", " [] ", 4, 'y'},
};

static char text[4096];
static llmres_llm_result_t res;

static int parse_n(const llmres_wire_t *wire, const char *json, size_t len) {
    memset(&res, 0, sizeof(res));
    res.text = text;
    res.text_cap = sizeof(text);
    return llmres_llm_parse_response(wire, json, len, &res);
}
static int parse(int provider, const char *json) { return parse_n(llmres_wire_get(provider), json, strlen(json)); }
static int parse_row(const llmres_wire_t *row, const char *json) { return parse_n(row, json, strlen(json)); }

static void jsontestsuite_parsing(void) {
    size_t i, y = 0, ny = 0, n = 0, nn = 0, ia = 0, ir = 0;
    for (i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
        int rc = parse_n(llmres_wire_get(LLMRES_PROVIDER_OPENAI), suite[i].json, suite[i].len);
        int want = suite[i].expect == 'y' ? LLMRES_OK : LLMRES_ERR_BAD_BODY;
        if (rc != want) printf("  %s: %d, want %d\n", suite[i].name, rc, want);
        CHECK_EQ(rc, want);
        if (suite[i].name[0] == 'y') { ny++; y += rc == LLMRES_OK; }
        else if (suite[i].name[0] == 'n') { nn++; n += rc == LLMRES_ERR_BAD_BODY; }
        else if (rc == LLMRES_OK) ia++;
        else ir++;
    }
    printf("  JSONTestSuite test_parsing: y_ %u/%u read, n_ %u/%u refused (+2 below), i_ %u read, %u refused\n",
           (unsigned)y, (unsigned)ny, (unsigned)n, (unsigned)nn, (unsigned)ia, (unsigned)ir);
    CHECK_EQ(ny, 95);
    CHECK_EQ(nn, 186);
    CHECK_EQ(ia + ir, 34);
}

/* The suite's three large inputs, built here; and the depth limit itself. */
static void jsontestsuite_deep(void) {
    static char big[250001];
    size_t i;
    memset(big, '[', 100000); /* n_structure_100000_opening_arrays */
    CHECK_EQ(parse_n(llmres_wire_get(0), big, 100000), LLMRES_ERR_BAD_BODY);
    for (i = 0; i < 50000; i++) memcpy(big + 5 * i, "[{\"\":", 5); /* n_structure_open_array_object */
    big[250000] = '\n';
    CHECK_EQ(parse_n(llmres_wire_get(0), big, sizeof(big)), LLMRES_ERR_BAD_BODY);
    memset(big, '[', 500); /* i_structure_500_nested_arrays: past the limit, refused */
    memset(big + 500, ']', 500);
    CHECK_EQ(parse_n(llmres_wire_get(0), big, 1000), LLMRES_ERR_BAD_BODY);
    for (i = 0; i < LLMRES_JSON_MAX_DEPTH; i++) { big[i] = '['; big[2 * LLMRES_JSON_MAX_DEPTH - 1 - i] = ']'; }
    CHECK_EQ(parse_n(llmres_wire_get(0), big, 2 * LLMRES_JSON_MAX_DEPTH), LLMRES_OK);
    for (i = 0; i <= LLMRES_JSON_MAX_DEPTH; i++) { big[i] = '['; big[2 * LLMRES_JSON_MAX_DEPTH + 1 - i] = ']'; }
    CHECK_EQ(parse_n(llmres_wire_get(0), big, 2 * LLMRES_JSON_MAX_DEPTH + 2), LLMRES_ERR_BAD_BODY);
}

/* The suite's strings, as the answer's text: the bytes Python's json module decodes them
   to (lone surrogates as U+FFFD). */
static const struct { const char *json, *utf8; size_t len; } strings[] = {
    {"\"\\uDADA\"", "\xEF\xBF\xBD", 3},
    {"\"\\uD888\\u1234\"", "\xEF\xBF\xBD\xE1\x88\xB4", 6},
    {"\"\\uD800\\n\"", "\xEF\xBF\xBD\n", 4},
    {"\"\\uDd1ea\"", "\xEF\xBF\xBD" "a", 4},
    {"\"\\uD800\\uD800\\n\"", "\xEF\xBF\xBD\xEF\xBF\xBD\n", 7},
    {"\"\\ud800\"", "\xEF\xBF\xBD", 3},
    {"\"\\ud800abc\"", "\xEF\xBF\xBD" "abc", 6},
    {"\"\\uDd1e\\uD834\"", "\xEF\xBF\xBD\xEF\xBF\xBD", 6},
    {"\"\\uDFAA\"", "\xEF\xBF\xBD", 3},
    {"\"\\u0060\\u012a\\u12AB\"", "`\xC4\xAA\xE1\x8A\xAB", 6},
    {"\"\\uD801\\udc37\"", "\xF0\x90\x90\xB7", 4},
    {"\"\\ud83d\\ude39\\ud83d\\udc8d\"", "\xF0\x9F\x98\xB9\xF0\x9F\x92\x8D", 8},
    {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\x08\x0C\n\r\t", 8},
    {"\"\\\\u0000\"", "\\u0000", 6},
    {"\"\\\"\"", "\"", 1},
    {"\"a/*b*/c/*d//e\"", "a/*b*/c/*d//e", 13},
    {"\"\\\\a\"", "\\a", 2},
    {"\"\\\\n\"", "\\n", 2},
    {"\"\\u0012\"", "\x12", 1},
    {"\"\\uFFFF\"", "\xEF\xBF\xBF", 3},
    {"\"asd\"", "asd", 3},
    {"\"asd\"", "asd", 3},
    {"\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF", 4},
    {"\"new\\u00A0line\"", "new\xC2\xA0line", 9},
    {"\"\xF4\x8F\xBF\xBF\"", "\xF4\x8F\xBF\xBF", 4},
    {"\"\xEF\xBF\xBF\"", "\xEF\xBF\xBF", 3},
    {"\"\\u0000\"", "\x00", 1},
    {"\"\\u002c\"", ",", 1},
    {"\"\xCF\x80\"", "\xCF\x80", 2},
    {"\"\xF0\x9B\xBF\xBF\"", "\xF0\x9B\xBF\xBF", 4},
    {"\"asd \"", "asd ", 4},
    {"\"\\uD834\\uDd1e\"", "\xF0\x9D\x84\x9E", 4},
    {"\"\\u0821\"", "\xE0\xA0\xA1", 3},
    {"\"\\u0123\"", "\xC4\xA3", 2},
    {"\"\xE2\x80\xA8\"", "\xE2\x80\xA8", 3},
    {"\"\xE2\x80\xA9\"", "\xE2\x80\xA9", 3},
    {"\"\\u0061\\u30af\\u30EA\\u30b9\"", "a\xE3\x82\xAF\xE3\x83\xAA\xE3\x82\xB9", 10},
    {"\"new\\u000Aline\"", "new\nline", 8},
    {"\"\x7F\"", "\x7F", 1},
    {"\"\\uA66D\"", "\xEA\x99\xAD", 3},
    {"\"\\u005C\"", "\\", 1},
    {"\"\xE2\x8D\x82\xE3\x88\xB4\xE2\x8D\x82\"", "\xE2\x8D\x82\xE3\x88\xB4\xE2\x8D\x82", 9},
    {"\"\\uDBFF\\uDFFE\"", "\xF4\x8F\xBF\xBE", 4},
    {"\"\\uD83F\\uDFFE\"", "\xF0\x9F\xBF\xBE", 4},
    {"\"\\u200B\"", "\xE2\x80\x8B", 3},
    {"\"\\u2064\"", "\xE2\x81\xA4", 3},
    {"\"\\uFDD0\"", "\xEF\xB7\x90", 3},
    {"\"\\uFFFE\"", "\xEF\xBF\xBE", 3},
    {"\"\\u0022\"", "\"", 1},
    {"\"\xE2\x82\xAC\xF0\x9D\x84\x9E\"", "\xE2\x82\xAC\xF0\x9D\x84\x9E", 7},
    {"\"a\x7F" "a\"", "a\x7F" "a", 3},
};

static void strings_decode_to_their_utf8(void) {
    size_t i;
    for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        char body[256];
        int n = snprintf(body, sizeof(body), "{\"message\":{\"content\":%s},\"done\":true}", strings[i].json);
        CHECK_EQ(parse_n(llmres_wire_get(LLMRES_PROVIDER_OLLAMA), body, (size_t)n), LLMRES_OK);
        CHECK_EQ(res.text_len, strings[i].len);
        CHECK(memcmp(text, strings[i].utf8, strings[i].len) == 0 && text[strings[i].len] == 0);
        if (res.text_len != strings[i].len || memcmp(text, strings[i].utf8, strings[i].len) != 0) printf("  %s\n", strings[i].json);
    }
}

/* RFC 8259's grammar where the old reader was loose, each inside an answer that would
   otherwise be read: refused whole, and then no answer at all. */
static void invalid_anywhere_is_never_an_answer(void) {
    static const char *const bad[] = {
        "-", "-01", "1.", "2.e3", "1+2", "0e+-1", "01", "1e", ".5", "+1", "0x1", "1.5e", "-.5", "1E+", "Infinity", "NaN",
        "\"\\x00\"", "\"\\a\"", "\"\\uqqqq\"", "\"\\u12\"", "\"\\U0041\"", "\"\x01\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"",
        "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"", "\"\x80\"", "\"\xFF\"", "tru", "truex", "trUe", "nuLL", "falsy", "nul", "False", "[1,]", "{\"a\":1,}",
        "[1 2]", "{\"a\" 1}", "{'a':1}", "{\"a\":1}}", "[1]]", "\"abc", "[\"a\"", "{\"a\":[1,{\"b\":\"c\"}]", "1 2"};
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[200];
        int n = snprintf(body, sizeof(body), "{\"choices\":[{\"message\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
                                             "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2},\"x\":[%s]}", bad[i]);
        CHECK_EQ(parse_n(llmres_wire_get(LLMRES_PROVIDER_OPENAI), body, (size_t)n), LLMRES_ERR_BAD_BODY);
        CHECK_EQ(res.answered, 0);
        CHECK_EQ(res.text_len, 0);
        CHECK(text[0] == 0 && res.finish[0] == 0);
        CHECK_EQ(res.input_tokens, LLMRES_UNKNOWN);
        if (res.answered || res.text_len) printf("  read as an answer: %s\n", bad[i]);
        /* the invalid value as the text itself */
        n = snprintf(body, sizeof(body), "{\"choices\":[{\"message\":{\"content\":%s}}]}", bad[i]);
        CHECK_EQ(parse_n(llmres_wire_get(LLMRES_PROVIDER_OPENAI), body, (size_t)n), LLMRES_ERR_BAD_BODY);
        CHECK_EQ(res.answered, 0);
    }
    /* an error body that is cut keeps what it said for the class (its status decides) */
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"error\":{\"type\":\"insufficient_quota\",\"message\":\"You exceeded"), LLMRES_ERR_BAD_BODY);
    CHECK(strcmp(res.error_type, "insufficient_quota") == 0);
    CHECK_EQ(llmres_classify(429, NULL, &res), LLMRES_CLASS_QUOTA);
}

/* Every proper prefix of a valid answer is refused: cut anywhere, never read as one. */
static void cut_anywhere_is_refused(void) {
    static const char body[] = "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                               "\"caf\xC3\xA9 \\u2014 \\ud83d\\ude80 \\\"q\\\" \xF0\x9F\x9A\x80\"},\"finish_reason\":\"stop\"}],"
                               "\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":1.5e1,\"x\":[true,false,null,-0.0e-0]}}";
    size_t n;
    CHECK_EQ(parse_n(llmres_wire_get(0), body, sizeof(body) - 1), LLMRES_OK);
    CHECK(strcmp(text, "caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x9A\x80 \"q\" \xF0\x9F\x9A\x80") == 0);
    CHECK_EQ(res.input_tokens, 19);
    CHECK_EQ(res.output_tokens, LLMRES_UNKNOWN); /* 1.5e1 is JSON, not a whole count */
    for (n = 0; n < sizeof(body) - 1; n++) {
        CHECK_EQ(parse_n(llmres_wire_get(0), body, n), LLMRES_ERR_BAD_BODY);
        CHECK_EQ(res.answered, 0);
    }
}

/* Strings longer than a word, with every kind of byte at every offset: the word-at-a-time
   scan stops where the byte-at-a-time one would. */
static void long_strings_at_every_offset(void) {
    static const char *const special[] = {"\\\"", "\\\\", "\\n", "\\u00e9", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x9A\x80", "\x7F"};
    static const char *const decoded[] = {"\"", "\\", "\n", "\xC3\xA9", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x9A\x80", "\x7F"};
    static const char *const refused[] = {"\x1F", "\x01", "\xC3", "\x80", "\xFE", "\\q"};
    size_t k, at;
    for (k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
        for (at = 0; at < 20; at++) {
            char body[128], want[64];
            int n = snprintf(body, sizeof(body), "{\"message\":{\"content\":\"%.*s%s%.*s\"}}", (int)at, "abcdefghijklmnopqrstuvwxyz",
                             special[k], (int)(19 - at), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
            snprintf(want, sizeof(want), "%.*s%s%.*s", (int)at, "abcdefghijklmnopqrstuvwxyz", decoded[k], (int)(19 - at),
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
            CHECK_EQ(parse_n(llmres_wire_get(LLMRES_PROVIDER_OLLAMA), body, (size_t)n), LLMRES_OK);
            CHECK(strcmp(text, want) == 0);
            if (k < sizeof(refused) / sizeof(refused[0])) {
                n = snprintf(body, sizeof(body), "{\"a\":\"%.*s%s%.*s\"}", (int)at, "abcdefghijklmnopqrstuvwxyz", refused[k],
                             (int)(19 - at), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
                CHECK_EQ(parse_n(llmres_wire_get(LLMRES_PROVIDER_OLLAMA), body, (size_t)n), LLMRES_ERR_BAD_BODY);
            }
        }
    }
}

/* ---- streams: an invalid event's text never reaches the caller ---- */
static char pieces[256];
static void on_piece(void *user, const char *t, size_t n) {
    size_t at = strlen(pieces);
    (void)user;
    if (t && at + n + 2 < sizeof(pieces)) {
        memcpy(pieces + at, t, n);
        memcpy(pieces + at + n, "|", 2);
    }
}

static int stream(int provider, const char *in, int keep) {
    static llmres_llm_stream_t s;
    static char event[512];
    int rc;
    memset(&res, 0, sizeof(res));
    res.text = text;
    res.text_cap = sizeof(text);
    pieces[0] = 0;
    CHECK_EQ(llmres_llm_stream_init(&s, llmres_wire_get(provider), event, sizeof(event), &res), LLMRES_OK);
    s.on_text = on_piece;
    s.keep_text = (uint8_t)keep;
    rc = llmres_llm_stream_feed(&s, in, strlen(in));
    return rc < 0 ? rc : llmres_llm_stream_end(&s);
}

static void stream_text_only_from_valid_events(void) {
    int keep;
    for (keep = 0; keep < 2; keep++) {
        CHECK_EQ(stream(LLMRES_PROVIDER_OPENAI, "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                                                "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}],\"n\":01}\n\n"
                                                "data: [DONE]\n\n", keep), LLMRES_ERR_BAD_BODY);
        CHECK(strcmp(pieces, "Hel|") == 0);
        CHECK_EQ(res.text_len, 3);
        CHECK(strcmp(text, keep ? "Hel" : "") == 0); /* kept text stays; a piece of an invalid event is none */
        CHECK_EQ(stream(LLMRES_PROVIDER_OLLAMA, "{\"message\":{\"content\":\"a\\u00e9\"},\"done\":false}\n"
                                                "{\"message\":{\"content\":\"\xC3\"},\"done\":false}\n", keep), LLMRES_ERR_BAD_BODY);
        CHECK(strcmp(pieces, "a\xC3\xA9|") == 0);
        /* two texts in one event (a duplicate key) reach on_text as one piece */
        CHECK_EQ(stream(LLMRES_PROVIDER_ANTHROPIC, "data: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"a\",\"text\":\"b\"}}\n\n"
                                                   "data: {\"type\":\"message_stop\"}\n\n", keep), LLMRES_OK);
        CHECK(strcmp(pieces, "ab|") == 0);
        CHECK_EQ(res.text_len, 2);
    }
}

/* ---- paths ---- */
static void paths_by_depth_index_and_limits(void) {
    static const llmres_wire_field_t deep[] = {
        {"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o", LLMRES_FIELD_TEXT}, {"list.2.x", LLMRES_FIELD_FINISH}, {"list.*.y", LLMRES_FIELD_ERROR_TYPE},
        {"", LLMRES_FIELD_ERROR_CODE}, {"e..", LLMRES_FIELD_ERROR_CODE}, {"0.1", LLMRES_FIELD_ERROR_MESSAGE}, {NULL, 0}};
    static llmres_wire_field_t many[LLMRES__JPATHS + 2];
    llmres_wire_t row = *llmres_wire_get(LLMRES_PROVIDER_OPENAI);
    size_t i;
    row.answer = deep;
    CHECK_EQ(parse_row(&row, "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{\"j\":{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":\"deep\","
                             "\"p\":\"no\"}}}}}}}}}}}}}},\"o\":\"shallow\"}"), LLMRES_OK);
    CHECK(strcmp(text, "deep") == 0);
    CHECK_EQ(parse_row(&row, "{\"list\":[{\"x\":\"0\",\"y\":\"a\"},{\"x\":\"1\"},{\"x\":\"two\",\"y\":\"c\"},{\"x\":\"3\"}],"
                             "\"e\":{\"\":{\"\":\"empty\"}},\"\":\"top\",\"0\":[9,\"one\"]}"), LLMRES_OK);
    CHECK(strcmp(res.finish, "two") == 0);
    CHECK(strcmp(res.error_type, "c") == 0);    /* the last "*" match */
    CHECK(res.error_code[0] == 0);              /* an empty segment never matches */
    CHECK(strcmp(res.error_message, "one") == 0); /* "0" names a key, "1" an index */
    /* a list beyond what a mask holds is the row's error, said at once */
    for (i = 0; i < LLMRES__JPATHS + 1; i++) { many[i].path = "a"; many[i].field = LLMRES_FIELD_TEXT; }
    row.answer = many;
    CHECK_EQ(parse_row(&row, "{}"), LLMRES_ERR_INVALID);
    many[LLMRES__JPATHS].path = NULL;
    CHECK_EQ(parse_row(&row, "{\"a\":\"x\"}"), LLMRES_OK);
    CHECK(strcmp(text, "x") == 0);
    row.event = many;
    many[LLMRES__JPATHS].path = "a";
    {
        static llmres_llm_stream_t s;
        static char ev[16];
        CHECK_EQ(llmres_llm_stream_init(&s, &row, ev, sizeof(ev), &res), LLMRES_ERR_INVALID);
    }
}

/* ---- the request writer ---- */
static char req[8192];

/* The request for one user message, and that message read back by the strict reader (a
   row whose answer is the request's own messages.0.content). */
static int write_and_read_back(const char *prompt) {
    static const llmres_wire_field_t back[] = {{"messages.0.content", LLMRES_FIELD_TEXT}, {"model", LLMRES_FIELD_FINISH}, {NULL, 0}};
    llmres_wire_t row = *llmres_wire_get(LLMRES_PROVIDER_OPENAI);
    llmres_llm_message_t m;
    llmres_llm_request_t r;
    int n;
    memset(&r, 0, sizeof(r));
    m.role = "user";
    m.content = prompt;
    r.wire = &row;
    r.model = "m\xC3";
    r.messages = &m;
    r.message_count = 1;
    r.temperature_milli = -1;
    n = llmres_llm_write_request(&r, req, sizeof(req));
    CHECK(n > 0);
    if (n <= 0) return n;
    row.answer = back;
    n = parse_n(&row, req, (size_t)n);
    CHECK(strcmp(res.finish, "m\xEF\xBF\xBD") == 0);
    return n;
}

static void writer_replaces_ill_formed_utf8(void) {
    static const struct { const char *in, *out; } v[] = {
        {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\x80"}, /* well-formed: as is */
        {"a\xC3", "a\xEF\xBF\xBD"},                                  /* cut at the end */
        {"\xC3(", "\xEF\xBF\xBD("},
        {"\xE2\x82x", "\xEF\xBF\xBDx"},                              /* one U+FFFD per maximal subpart */
        {"\xF0\x9F\x9A", "\xEF\xBF\xBD"},
        {"\xF0\x9F\x9A\xF0\x9F\x9A\x80", "\xEF\xBF\xBD\xF0\x9F\x9A\x80"},
        {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                    /* overlong */
        {"\xE0\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},    /* a surrogate */
        {"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* past U+10FFFF */
        {"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},                    /* U+10FFFF itself */
        {"\x80\xBF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                    /* stray continuations */
        {"\xFE\xFF", "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\x01\x1F\x7F\t\"\\/", "\x01\x1F\x7F\t\"\\/"},              /* controls escaped, DEL and / as is */
    };
    size_t i;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        CHECK_EQ(write_and_read_back(v[i].in), LLMRES_OK);
        CHECK(strcmp(text, v[i].out) == 0);
        if (strcmp(text, v[i].out) != 0) printf("  case %u\n", (unsigned)i);
    }
    CHECK(strstr(req, "\\u0001\\u001f\x7f\\t\\\"\\\\/") != NULL);
}

/* Prompts of random bytes: the request is always JSON the strict reader accepts, and a
   well-formed prompt comes back byte for byte. A row's own keys are escaped too. */
static void writer_output_is_always_json(void) {
    static const llmres_wire_field_t none[] = {{NULL, 0}};
    llmres_wire_t row = *llmres_wire_get(LLMRES_PROVIDER_OLLAMA);
    llmres_llm_message_t m = {"user", "hi"};
    llmres_llm_request_t r;
    uint32_t seed = 12345;
    int round, n;
    for (round = 0; round < 3000; round++) {
        char prompt[80];
        size_t len = 0, want, k, bad;
        int ok = 1;
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
        want = seed % 79u;
        while (len < want) {
            seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
            prompt[len] = (char)(round & 1 ? (seed >> 8) % 255u + 1u : (seed & 3u) ? 0x80u + (seed >> 8) % 0x7Fu : (seed >> 8) % 127u + 1u);
            len++;
        }
        prompt[len] = 0;
        CHECK_EQ(write_and_read_back(prompt), LLMRES_OK);
        for (k = 0; k < len && ok; k += bad) {
            if ((unsigned char)prompt[k] < 0x80) bad = 1;
            else if ((bad = llmres__utf8_len(prompt, k, len, &bad)) == 0) ok = 0;
        }
        if (ok) CHECK(res.text_len == len && memcmp(text, prompt, len) == 0);
    }
    memset(&r, 0, sizeof(r));
    row.max_tokens_key = "n\"u\\m";
    row.answer = none;
    r.wire = &row;
    r.model = "m";
    r.messages = &m;
    r.message_count = 1;
    r.max_tokens = 5;
    r.temperature_milli = 1;
    n = llmres_llm_write_request(&r, req, sizeof(req));
    CHECK(n > 0);
    CHECK_EQ(parse_n(&row, req, n > 0 ? (size_t)n : 0), LLMRES_OK);
    CHECK(strstr(req, "\"options\":{\"temperature\":0.001,\"n\\\"u\\\\m\":5}") != NULL);
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(jsontestsuite_parsing);
    RUN(jsontestsuite_deep);
    RUN(strings_decode_to_their_utf8);
    RUN(invalid_anywhere_is_never_an_answer);
    RUN(cut_anywhere_is_refused);
    RUN(long_strings_at_every_offset);
    RUN(stream_text_only_from_valid_events);
    RUN(paths_by_depth_index_and_limits);
    RUN(writer_replaces_ill_formed_utf8);
    RUN(writer_output_is_always_json);
    return T_DONE();
}
