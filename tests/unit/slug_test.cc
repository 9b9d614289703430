#include "storage/content/slug.h"

#include <gtest/gtest.h>

namespace newsdesk::content {
namespace {

TEST(SlugTest, TransliteratesTheSeedTitle) {
  EXPECT_EQ(SlugFromTitle("Wizyta w obwodzie Ałmatyńskim w Kazachstanie"),
            "wizyta-w-obwodzie-almatynskim-w-kazachstanie");
}

TEST(SlugTest, MapsEveryPolishLetterInBothCases) {
  EXPECT_EQ(SlugFromTitle("ą ć ę ł ń ó ś ź ż"), "a-c-e-l-n-o-s-z-z");
  EXPECT_EQ(SlugFromTitle("Ą Ć Ę Ł Ń Ó Ś Ź Ż"), "a-c-e-l-n-o-s-z-z");
  EXPECT_EQ(SlugFromTitle("Zażółć gęślą jaźń"), "zazolc-gesla-jazn");
  EXPECT_EQ(SlugFromTitle("ŁÓDŹ"), "lodz");
}

TEST(SlugTest, CollapsesPunctuationAndTrimsHyphens) {
  EXPECT_EQ(SlugFromTitle("  --Konferencja: „Zdrowie” 2018!  "), "konferencja-zdrowie-2018");
  EXPECT_EQ(SlugFromTitle("Szpital w Tałdykorganie (Kazachstan)"), "szpital-w-taldykorganie-kazachstan");
}

TEST(SlugTest, RomanisesCyrillic) {
  EXPECT_EQ(SlugFromTitle("Алматы"), "almaty");
}

TEST(SlugTest, FallsBackWhenNothingIsLeft) {
  EXPECT_EQ(SlugFromTitle("!!!"), "article");
  EXPECT_EQ(SlugFromTitle(""), "article");
}

TEST(SlugTest, LimitsLengthAtAWordBoundary) {
  std::string title;
  for (int i = 0; i < 30; ++i) title += "wspolpraca ";
  const std::string slug = SlugFromTitle(title);
  EXPECT_LE(slug.size(), 80u);
  EXPECT_NE(slug.back(), '-');
  EXPECT_EQ(slug.size() % 11, 10u) << slug;  // whole words only
}

TEST(SlugTest, CandidatesCountUpAndStayWithinTheLimit) {
  EXPECT_EQ(SlugCandidate("wizyta", 2), "wizyta-2");
  EXPECT_EQ(SlugCandidate("wizyta", 13), "wizyta-13");
  const std::string base(80, 'a');
  const std::string c = SlugCandidate(base, 2);
  EXPECT_LE(c.size(), 80u);
  EXPECT_EQ(c.substr(c.size() - 2), "-2");
}

}  // namespace
}  // namespace newsdesk::content
