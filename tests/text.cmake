# Text analysis (folding, tokenisation, stemming, queries, BM25, snippets).
# The stemming tests need Debian's hunspell-pl dictionary installed.
newsdesk_test(NAME text_tests LABEL unit
  SOURCES unit/text_analysis_test.cc
  LIBS newsdesk_text GTest::gmock)
