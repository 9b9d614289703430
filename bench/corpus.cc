#include "bench/corpus.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"

namespace newsdesk::bench {
namespace {

// ---------------------------------------------------------------------------
// Word lists (written for these benchmarks).

// Function words, roughly most frequent first.
constexpr const char* kFunctionWords =
    "w i na z się do nie że o to jest jak po a od przez dla ale za oraz także jego są który które która "
    "tym też już przy ich tego tej we ze czy być był była było będzie może tylko również jednak pod nad "
    "przed między bardzo więcej mniej około ponad prawie wszystkie wszystkich każdy każdego wiele kilka "
    "kilku jako gdy kiedy gdzie dziś jutro wczoraj teraz wkrótce później wcześniej lub albo lecz ten ta te "
    "tych jej którzy których którego nawet jeszcze tak tu tam więc bo gdyż choć aby żeby mimo według wobec "
    "wokół podczas natomiast zaś niż dzięki jeśli sobie go mu nich nim niej one oni my nas";

// General regional-news vocabulary: nouns in several cases, verbs,
// adjectives. Shuffled per corpus to give Zipf ranks.
constexpr const char* kGeneralWords =
    // administration and politics
    "miasto miasta mieście miastu gmina gminy gminie gminę województwo województwa województwie powiat "
    "powiatu powiecie urząd urzędu urzędzie urzędnicy urzędników marszałek marszałka marszałkiem wojewoda "
    "wojewody starosta starosty burmistrz burmistrza burmistrzem wójt wójta prezydent prezydenta radny radni "
    "radnych rada rady radzie sesja sesji sesję uchwała uchwały uchwałę budżet budżetu budżecie samorząd "
    "samorządu samorządy samorządów minister ministra ministerstwo ministerstwa rząd rządu sejm sejmu senat "
    "senatu ustawa ustawy ustawę wybory wyborów kandydat kandydatów kandydatka głosowanie głosowania "
    "frekwencja referendum komisja komisji przewodniczący przewodnicząca posiedzenie posiedzeniu opozycja "
    "koalicja partia partii poseł posłowie posłanka senator "
    // money and economy
    "inwestycja inwestycji inwestycje inwestycję fundusz funduszu fundusze funduszy dotacja dotacji dotacje "
    "środki środków pieniądze pieniędzy złotych złotówek kwota kwoty koszt koszty kosztów projekt projektu "
    "projekty program programu programie konkurs konkursu przetarg przetargu przetargi umowa umowy umowę "
    "wniosek wniosków wnioski decyzja decyzji decyzję firma firmy firmie firm przedsiębiorca przedsiębiorców "
    "przedsiębiorstwo zakład zakładu fabryka fabryki praca pracy pracownik pracowników pracownicy "
    "bezrobocie bezrobocia wynagrodzenie wynagrodzenia podatek podatku podatki ceny cen ceną inflacja "
    "rynek rynku sklep sklepy handel eksport gospodarka gospodarki rolnik rolników rolnicy rolnictwo "
    "rolnictwa zboże zboża plony owoce jabłka sadownicy "
    // infrastructure and transport
    "droga drogi drodze dróg drogę ulica ulicy ulice ulic most mostu moście obwodnica obwodnicy obwodnicę "
    "autostrada autostrady ekspresówka skrzyżowanie skrzyżowaniu rondo ronda chodnik chodniki parking "
    "parkingu transport transportu autobus autobusy autobusów tramwaj trolejbus trolejbusy pociąg pociągi "
    "pociągów kolej kolei dworzec dworca dworcu lotnisko lotniska lotnisku przystanek przystanku rozkład "
    "rozkładu ścieżka ścieżki rowerowa rowerowej rower rowery remont remontu remontem budowa budowy budowę "
    "modernizacja modernizacji przebudowa przebudowy wodociąg wodociągu kanalizacja kanalizacji "
    "oczyszczalnia ciepłownia sieć sieci oświetlenie oświetlenia budynek budynku budynki mieszkanie "
    "mieszkania mieszkań osiedle osiedla osiedlu blok bloku kamienica kamienicy "
    // health
    "zdrowie zdrowia szpital szpitala szpitalu szpitalem szpitale szpitali lekarz lekarze lekarzy lekarka "
    "pacjent pacjenci pacjentów pacjentka przychodnia przychodni oddział oddziału oddziale karetka karetki "
    "ratownik ratownicy ratowników pogotowie pogotowia pielęgniarka pielęgniarki pielęgniarek leczenie "
    "leczenia choroba choroby chorych szczepienie szczepienia szczepień szczepionka szczepionki epidemia "
    "epidemii koronawirus koronawirusa zakażenie zakażeń badanie badania badań operacja operacji "
    "rehabilitacja rehabilitacji onkologia kardiologia ochrona ochrony "
    // education and culture
    "szkoła szkoły szkole szkół szkołę uczeń uczniowie uczniów uczennica nauczyciel nauczyciele nauczycieli "
    "dyrektor dyrektora dyrektorka przedszkole przedszkola przedszkolu żłobek żłobka żłobki student "
    "studenci studentów uczelnia uczelni uniwersytet uniwersytetu politechnika matura matury egzamin "
    "egzaminu lekcja lekcje kultura kultury teatr teatru teatrze muzeum biblioteka biblioteki bibliotece "
    "koncert koncertu koncerty festiwal festiwalu festiwale wystawa wystawy wystawę spektakl spektaklu "
    "kino kina film filmu książka książki artysta artyści artystów muzyka muzyki zespół zespołu chór "
    "historia historii rocznica rocznicy rocznicę pomnik pomnika zabytek zabytku zabytków kościół kościoła "
    "kościele zamek zamku zamkiem pałac pałacu klasztor synagoga cerkiew cmentarz cmentarza wojna wojny "
    "powstanie powstania żołnierze żołnierzy pamięć pamięci święto święta uroczystość uroczystości "
    // sport
    "sport sportu stadion stadionu stadionie boisko boiska basen basenu hala hali mecz meczu meczem mecze "
    "drużyna drużyny zawodnik zawodnicy zawodników zawodniczka trener trenera kibice kibiców liga ligi "
    "mistrzostwa mistrzostw medal medale zwycięstwo porażka remis bramka bramki gol gole bieg biegu "
    "maraton turniej turnieju siatkówka piłka piłkarze koszykówka żużel żużlowcy "
    // safety and weather
    "policja policji policjant policjanci policjantów straż straży strażacy strażaków pożar pożaru pożary "
    "wypadek wypadku wypadki kierowca kierowcy kierowców samochód samochodu samochody ciężarówka "
    "bezpieczeństwo bezpieczeństwa przestępstwo przestępstwa kradzież oszustwo oszuści areszt wyrok sąd "
    "sądu sądzie prokuratura prokuratury prokurator śledztwo śledztwa świadek powódź powodzi susza suszy "
    "pogoda pogody burza burze wichura śnieg śniegu deszcz deszczu mróz mrozu upał upały ostrzeżenie "
    "ostrzeżenia alert temperatura temperatury synoptycy "
    // environment and energy
    "środowisko środowiska środowisku las lasu lasy lasów drzewa drzew wycinka park parku parki plac placu "
    "rzeka rzeki rzece rzekę jezioro jeziora jeziorze woda wody wodę energia energii prąd prądu ciepło "
    "ogrzewanie ogrzewania węgiel węgla gaz gazu smog smogu powietrze powietrza odpady odpadów śmieci "
    "segregacja recykling fotowoltaika panele pompy klimat klimatu zieleń zieleni przyroda przyrody "
    "zwierzęta bobry wilki ptaki rezerwat "
    // people and society
    "mieszkańcy mieszkańców mieszkańcom mieszkaniec mieszkanka rodzina rodziny rodzin dziecko dzieci "
    "dzieciom dzieciach młodzież młodzieży senior seniorzy seniorów emeryt emeryci emerytów "
    "niepełnosprawni niepełnosprawnych wolontariusze wolontariuszy uchodźcy uchodźców pomoc pomocy "
    "zbiórka zbiórki stowarzyszenie fundacja fundacji parafia parafii ksiądz sołectwo sołtys koło "
    "gospodynie turystyka turystyki turysta turyści turystów wakacje ferie urlop noclegi "
    // verbs
    "zapowiedział zapowiedziała zapowiadają poinformował poinformowała informuje przekazał przekazała "
    "zdecydował zdecydowała zdecydowali podpisał podpisała podpisali otworzył otworzyła otwarto "
    "rozpoczęła rozpoczął rozpoczęto rozpocznie zakończyła zakończył zakończono zakończy ruszyła ruszy "
    "ruszyły zbudować wybudować wyremontować przeznaczyć przeznaczono przeznaczy otrzymał otrzymała "
    "otrzymają otrzymali uzyskał uzyskała zapłacić kosztowała kosztować wynosi wyniesie wyniosła wzrosła "
    "wzrosły spadła spadły zmieni zmienia zmieniła dotyczy dotyczą obejmuje obejmie mówi mówią powiedział "
    "powiedziała podkreślił podkreśliła dodał dodała zaznaczył zaznaczyła przypomniał przypomniała "
    "wyjaśnił wyjaśniła zaprasza zapraszają odbędzie odbędą odbyła odbył weźmie wzięli uczestniczyli "
    "głosowali przyjęli przyjęła uchwalili odwołano zamknięto wstrzymano ogłosił ogłosiła ogłoszono "
    "apeluje apelują ostrzega ostrzegają zatrzymali zatrzymała ukarano trafił trafiła trafili zginął "
    "zginęła ucierpiał uratowali ewakuowano pracują pracuje czekają czeka planuje planują chcą chce "
    "trzeba można należy musi muszą mogą powinni potrzebują brakuje zabraknie spotkali spotkanie "
    "spotkania rozmawiali rozmowy negocjacje protestowali protest protestu "
    // adjectives
    "nowy nowa nowe nowego nowej nowych nowym stary stara starego duży duża duże dużej mały mała małe "
    "wielki wielka ważny ważna ważne ważnych publiczny publiczna publicznej publicznego miejski miejska "
    "miejskiej miejskiego miejskich gminny gminnej gminnych powiatowy powiatowego powiatowej wojewódzki "
    "wojewódzkiego wojewódzkiej regionalny regionalnej regionalnych lokalny lokalnej lokalnych państwowy "
    "państwowej europejski europejskiej europejskich unijny unijnych polski polska polskiej polskich "
    "społeczny społecznej społecznych zdrowotnej zdrowotnych kulturalny kulturalnych sportowy sportowej "
    "sportowych drogowy drogowej drogowych ekologiczny ekologicznej zielony zielonej bezpłatny bezpłatne "
    "bezpłatnych darmowe pierwszy pierwsza pierwszego drugi druga drugiego ostatni ostatnie ostatnich "
    "kolejny kolejna kolejne kolejnych obecny obecnie przyszłym przyszłego ubiegłym ubiegłego bieżącym "
    "tegoroczny tegoroczna letni letnie zimowy zimowe jesienny wiosenny najbliższy najbliższe główny "
    "główna głównej szczególnie trudny trudna trudnej możliwy możliwe gotowy gotowe pełny pełne wysoki "
    "wysoka wysokie niski niska dobry dobra dobre lepszy lepsze najlepszy najlepsza zły złe gorszy "
    "historyczny historycznej zabytkowy zabytkowej nowoczesny nowoczesne bezpieczny bezpieczne "
    // time
    "rok roku latach lat lata miesiąc miesiąca miesięcy tydzień tygodnia tygodni dzień dnia dni godzina "
    "godziny godzin poniedziałek wtorek środa środę czwartek piątek sobota sobotę niedziela niedzielę "
    "styczeń stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada "
    "grudnia wiosna wiosną lato latem jesień jesienią zima zimą";

// Topic (tag) vocabularies: words an article of that topic repeats.
struct Topic {
  const char* tag;
  const char* words;
};
constexpr Topic kTopics[] = {
    {"samorząd", "sesja radni uchwała budżet burmistrz wójt starosta radnych sesji uchwałę głosowanie komisja"},
    {"zdrowie", "szpital lekarze pacjenci przychodnia oddział leczenie szpitala pacjentów lekarzy zdrowia "
                "pielęgniarki ochrona"},
    {"transport", "autobus autobusy kolej pociągi dworzec przystanek rozkład linia linii kursy bilety komunikacja"},
    {"drogi", "droga remont obwodnica utrudnienia objazd asfalt skrzyżowanie rondo przebudowa drogowcy ruch"},
    {"edukacja", "szkoła uczniowie nauczyciele matura egzamin przedszkole lekcje dyrektor klasy oświata"},
    {"kultura", "koncert festiwal teatr wystawa muzeum spektakl artyści biblioteka kino premiera"},
    {"sport", "mecz drużyna zawodnicy trener liga bramka turniej kibice medal stadion"},
    {"bezpieczeństwo", "policja policjanci zatrzymali strażacy pożar wypadek kierowca prokuratura śledztwo"},
    {"gospodarka", "firma inwestycja przedsiębiorcy zakład pracownicy fabryka eksport rynek ceny podatek"},
    {"środowisko", "smog powietrze odpady segregacja las drzewa wycinka przyroda klimat rezerwat"},
    {"rolnictwo", "rolnicy zboże plony susza sadownicy jabłka gospodarstwo ceny skup dopłaty"},
    {"turystyka", "turyści noclegi szlak wakacje zabytki atrakcje przewodnik trasa rowerowa kajaki"},
    {"historia", "rocznica pomnik powstanie żołnierze pamięć wojna uroczystość historia muzeum zabytek"},
    {"pogoda", "pogoda burza deszcz śnieg mróz upał ostrzeżenie synoptycy temperatura wichura"},
    {"energia", "energia prąd ogrzewanie węgiel gaz fotowoltaika panele ciepłownia pompy ciepło"},
    {"mieszkalnictwo", "mieszkania osiedle blok deweloper czynsz lokatorzy kamienica remont budowa"},
    {"inwestycje", "inwestycja przetarg umowa wykonawca budowa kosztorys dotacja fundusze modernizacja"},
    {"wybory", "wybory kandydaci głosowanie frekwencja komitet lista mandaty kampania wyniki"},
    {"społeczeństwo", "seniorzy rodziny dzieci pomoc wolontariusze zbiórka fundacja uchodźcy niepełnosprawni"},
    {"nauka", "uniwersytet studenci naukowcy badania laboratorium politechnika doktorat grant odkrycie"},
    {"fundusze-unijne", "fundusze unijne dofinansowanie program projekt wniosek beneficjenci nabór"},
    {"komunikaty", "komunikat informacja mieszkańcy urząd zmiana godziny obsługa wniosek termin"},
    {"covid-19", "koronawirus zakażenia szczepienia szczepionka kwarantanna testy epidemia obostrzenia"},
    {"ekologia", "recykling segregacja zieleń drzewa nasadzenia bioróżnorodność pszczoły łąki kwietne"},
};

// Places: inflected forms of each (nominative first). Multi-word names are
// kept as one entry and emitted as several tokens.
constexpr const char* kPlaces[] = {
    "Lublin|Lublina|Lublinie|Lublinem", "Chełm|Chełma|Chełmie", "Zamość|Zamościa|Zamościu",
    "Biała Podlaska|Białej Podlaskiej", "Puławy|Puław|Puławach", "Kraśnik|Kraśnika|Kraśniku",
    "Świdnik|Świdnika|Świdniku", "Łęczna|Łęcznej", "Lubartów|Lubartowa|Lubartowie",
    "Hrubieszów|Hrubieszowa|Hrubieszowie", "Tomaszów Lubelski|Tomaszowie Lubelskim", "Biłgoraj|Biłgoraja|Biłgoraju",
    "Krasnystaw|Krasnegostawu|Krasnymstawie", "Włodawa|Włodawy|Włodawie", "Łuków|Łukowa|Łukowie",
    "Radzyń Podlaski|Radzyniu Podlaskim", "Parczew|Parczewa|Parczewie", "Ryki|Ryk|Rykach",
    "Opole Lubelskie|Opolu Lubelskim", "Janów Lubelski|Janowie Lubelskim", "Kazimierz Dolny|Kazimierzu Dolnym",
    "Nałęczów|Nałęczowa|Nałęczowie", "Bełżyce|Bełżyc|Bełżycach", "Poniatowa|Poniatowej",
    "Szczebrzeszyn|Szczebrzeszynie", "Zwierzyniec|Zwierzyńca|Zwierzyńcu", "Terespol|Terespolu",
    "Międzyrzec Podlaski|Międzyrzecu Podlaskim", "Dęblin|Dęblina|Dęblinie", "Łaszczów|Łaszczowie",
    "Kraków|Krakowa|Krakowie", "Warszawa|Warszawy|Warszawie|Warszawą", "Gdańsk|Gdańska|Gdańsku",
    "Wrocław|Wrocławia|Wrocławiu", "Poznań|Poznania|Poznaniu", "Łódź|Łodzi", "Rzeszów|Rzeszowa|Rzeszowie",
    "Białystok|Białegostoku", "Kielce|Kielc|Kielcach", "Olsztyn|Olsztyna|Olsztynie", "Szczecin|Szczecinie",
    "Katowice|Katowic|Katowicach", "Bydgoszcz|Bydgoszczy", "Toruń|Torunia|Toruniu", "Przemyśl|Przemyślu",
    "Sandomierz|Sandomierza|Sandomierzu", "Tarnów|Tarnowa|Tarnowie", "Nowy Sącz|Nowym Sączu",
    "Zakopane|Zakopanem", "Bieszczady|Bieszczadach", "Roztocze|Roztocza|Roztoczu", "Polesie|Polesia|Polesiu",
    "Wisła|Wisły|Wiśle", "Bug|Bugu", "Wieprz|Wieprza|Wieprzu", "Lubelszczyzna|Lubelszczyzny|Lubelszczyźnie",
    "Mazowsze|Mazowsza|Mazowszu", "Podkarpacie|Podkarpacia|Podkarpaciu", "Ukraina|Ukrainy|Ukrainie",
    "Białoruś|Białorusi", "Litwa|Litwy|Litwie", "Niemcy|Niemiec|Niemczech", "Kazachstan|Kazachstanu|Kazachstanie",
    "Ałmaty", "Tałdykorgan|Tałdykorganie", "Lwów|Lwowa|Lwowie", "Łuck|Łucka|Łucku", "Brześć|Brześcia|Brześciu",
};

constexpr const char* kFirstNames =
    "Anna Maria Katarzyna Małgorzata Agnieszka Barbara Ewa Krystyna Elżbieta Zofia Joanna Magdalena Monika "
    "Jadwiga Halina Beata Dorota Aleksandra Natalia Żaneta Łucja Jan Piotr Krzysztof Andrzej Tomasz Paweł "
    "Michał Marcin Łukasz Grzegorz Jakub Józef Stanisław Wojciech Marek Jerzy Kazimierz Mateusz Zbigniew "
    "Przemysław Bartłomiej Sławomir Radosław Władysław";

// Surname stems and endings, combined into a few thousand surnames.
constexpr const char* kSurnameStems =
    "Kowal Nowak Wiśniew Wójcik Kamiń Lewandow Zieliń Szymań Woźniak Dąbrow Kozłow Jankow Mazur Kwiatkow "
    "Krawczyk Piotrow Grabow Pawłow Michal Król Wieczor Jabłoń Wróbl Majew Olszew Stępień Malinow Jaworsk "
    "Adamczyk Dudek Nowick Pawlak Górsk Witkow Walczak Sikor Baran Rutkow Michalak Szewczyk Ostrow Tomaszew "
    "Pietrzak Zalew Wróblew Jasiń Marczak Bąk Zawadz Jakubow Sadow Duda Włodarczyk Chmielew Borkow Sokołow "
    "Szczepań Sawick Kucharsk Kalinow Wysock Mazurk Kubiak Czarneck Kołodziej Głowack Zając Kaczmarek "
    "Lisow Wasilew Ziółkow Jędrzejew Żak Łuczak Śliwiń Chmiel Bielec Kurek Ciesiel Gajew";
constexpr const char* kSurnameEndings = "ski ska skiego cki cka ek ak czyk ewicz owicz iak ów";

std::vector<std::string> Words(absl::string_view text) {
  return absl::StrSplit(text, ' ', absl::SkipEmpty());
}

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// SplitMix64: small, fast and good enough for test data.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  int Between(int lo, int hi) { return lo + static_cast<int>(Below(static_cast<size_t>(hi - lo + 1))); }
};

std::vector<double> ZipfCdf(size_t n, double s) {
  std::vector<double> cdf(n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
    cdf[i] = sum;
  }
  for (auto& c : cdf) c /= sum;
  return cdf;
}

size_t Sample(const std::vector<double>& cdf, Rng& rng) {
  const double u = rng.Uniform();
  return std::min(cdf.size() - 1, static_cast<size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin()));
}

std::string Capitalize(const std::string& word) {
  // ASCII first letter only; Polish capitals with diacritics at the start of
  // a sentence are rare enough in these lists to leave lowercase.
  std::string out = word;
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

}  // namespace

Corpus::Corpus(uint64_t seed) : seed_(seed) {
  function_words_ = Words(kFunctionWords);
  general_words_ = Words(kGeneralWords);
  Rng rng(seed ^ 0x5eed);
  // Zipf ranks of the general vocabulary: a seeded shuffle.
  for (size_t i = general_words_.size(); i > 1; --i) std::swap(general_words_[i - 1], general_words_[rng.Below(i)]);
  for (const auto& t : kTopics) {
    tags_.push_back(t.tag);
    topic_words_.push_back(Words(t.words));
  }
  for (const char* p : kPlaces) places_.push_back(absl::StrSplit(p, '|'));
  first_names_ = Words(kFirstNames);
  for (const auto& stem : Words(kSurnameStems)) {
    for (const auto& end : Words(kSurnameEndings)) surnames_.push_back(stem + end);
  }
  function_cdf_ = ZipfCdf(function_words_.size(), 1.0);
  general_cdf_ = ZipfCdf(general_words_.size(), 0.9);
  tag_cdf_ = ZipfCdf(tags_.size(), 0.8);

  // Query words: the general vocabulary, topic words and single-word place
  // forms, without duplicates.
  std::vector<std::string> q = general_words_;
  for (const auto& tw : topic_words_) q.insert(q.end(), tw.begin(), tw.end());
  for (const auto& forms : places_) {
    for (const auto& f : forms) {
      if (f.find(' ') == std::string::npos) q.push_back(f);
    }
  }
  std::sort(q.begin(), q.end());
  q.erase(std::unique(q.begin(), q.end()), q.end());
  query_words_ = std::move(q);
}

std::string Corpus::IdOf(uint64_t i) { return absl::StrFormat("a%010d", i); }

Article Corpus::Make(uint64_t i) const {
  // Each article's stream starts at a hashed state: consecutive SplitMix
  // seeds would give overlapping, shifted streams.
  Rng rng(Mix64(Mix64(seed_) ^ (i * 0xD1B54A32D192ED03ull + 1)));
  const size_t topic = Sample(tag_cdf_, rng);
  const size_t place = rng.Below(places_.size());
  // People quoted in this article.
  std::vector<std::string> people;
  const int n_people = rng.Between(1, 3);
  for (int k = 0; k < n_people; ++k) {
    people.push_back(absl::StrCat(first_names_[rng.Below(first_names_.size())], " ",
                                  surnames_[rng.Below(surnames_.size())]));
  }

  auto word = [&](std::string* out) {
    const double u = rng.Uniform();
    if (u < 0.42) {
      *out = function_words_[Sample(function_cdf_, rng)];
    } else if (u < 0.56) {
      const auto& tw = topic_words_[topic];
      *out = tw[rng.Below(tw.size())];
    } else if (u < 0.60) {
      const auto& forms = places_[place];
      *out = forms[rng.Below(forms.size())];
    } else if (u < 0.61) {
      *out = people[rng.Below(people.size())];
    } else if (u < 0.66) {
      const auto& forms = places_[rng.Below(places_.size())];
      *out = forms[rng.Below(forms.size())];
    } else if (u < 0.96) {
      *out = general_words_[Sample(general_cdf_, rng)];
    } else {
      switch (rng.Below(4)) {
        case 0: *out = absl::StrCat(rng.Between(2, 950)); break;
        case 1: *out = absl::StrCat(rng.Between(1, 99), ",", rng.Between(1, 9), " mln zł"); break;
        case 2:
          *out = absl::StrFormat("%02d.%02d.%d", rng.Between(1, 28), rng.Between(1, 12), rng.Between(2015, 2024));
          break;
        default: *out = absl::StrCat(rng.Between(2015, 2025), " r."); break;
      }
    }
  };
  auto sentence = [&](int min_words, int max_words, bool final_stop) {
    std::string s;
    const int n = rng.Between(min_words, max_words);
    std::string w;
    for (int k = 0; k < n; ++k) {
      word(&w);
      if (k == 0) w = Capitalize(w);
      if (!s.empty()) s.push_back(' ');
      s += w;
      if (k + 1 < n && rng.Below(9) == 0) s.push_back(',');
    }
    if (final_stop) s += rng.Below(12) == 0 ? "?" : ".";
    return s;
  };

  Article a;
  a.set_title(sentence(5, 11, false));
  std::string lead;
  for (int k = 0, n = rng.Between(2, 3); k < n; ++k) absl::StrAppend(&lead, k ? " " : "", sentence(8, 16, true));
  a.set_lead(lead);
  std::string body;
  const int paragraphs = rng.Between(4, 8);
  for (int p = 0; p < paragraphs; ++p) {
    if (p) body += "\n\n";
    for (int k = 0, n = rng.Between(3, 7); k < n; ++k) {
      if (k) body.push_back(' ');
      if (rng.Below(6) == 0) {
        absl::StrAppend(&body, "– ", sentence(6, 14, true), " – mówi ", people[rng.Below(people.size())], ".");
      } else {
        body += sentence(7, 20, true);
      }
    }
  }
  a.set_body(body);
  a.set_language("pl");
  a.add_authors(absl::StrCat(first_names_[rng.Below(first_names_.size())], " ",
                             surnames_[rng.Below(surnames_.size())]));
  if (rng.Below(4) == 0) {
    a.add_authors(absl::StrCat(first_names_[rng.Below(first_names_.size())], " ",
                               surnames_[rng.Below(surnames_.size())]));
  }
  a.add_tags(tags_[topic]);
  for (int k = 0, n = rng.Between(0, 3); k < n; ++k) {
    const std::string& t = tags_[Sample(tag_cdf_, rng)];
    if (std::find(a.tags().begin(), a.tags().end(), t) == a.tags().end()) a.add_tags(t);
  }
  return a;
}

namespace {
thread_local absl::Time tl_now = absl::UnixEpoch();
}  // namespace

absl::Time PerThreadClock::Now() { return tl_now; }
void PerThreadClock::Set(absl::Time t) { tl_now = t; }

absl::StatusOr<LoadStats> LoadCorpus(const Corpus& corpus, content::ArticleStore* store,
                                     const LoadOptions& options) {
  std::atomic<uint64_t> next{0}, done{0};
  absl::Mutex mu;
  absl::Status first_error;
  const uint64_t report_every = std::max<uint64_t>(1, options.count / 20);
  const absl::Duration step = options.count > 0 ? options.span / static_cast<double>(options.count) : absl::ZeroDuration();
  const absl::Time begin = absl::Now();
  auto work = [&] {
    for (;;) {
      const uint64_t i = next.fetch_add(1);
      if (i >= options.count) return;
      {
        absl::MutexLock lock(&mu);
        if (!first_error.ok()) return;
      }
      const absl::Time created = options.start + step * static_cast<double>(i);
      PerThreadClock::Set(created);
      absl::Status st;
      auto a = store->Create(corpus.Make(i), Corpus::IdOf(i), "");
      if (a.ok()) {
        // Published a little after it was written.
        PerThreadClock::Set(created + step * 0.5);
        auto p = store->Publish(Corpus::IdOf(i), "", std::nullopt);
        if (!p.ok()) st = p.status();
      } else {
        st = a.status();
      }
      if (!st.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = st;
        return;
      }
      const uint64_t d = done.fetch_add(1) + 1;
      if (options.progress && d % report_every == 0) options.progress(d);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, options.threads); ++t) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  if (!first_error.ok()) return first_error;
  return LoadStats{.articles = done.load(), .seconds = absl::ToDoubleSeconds(absl::Now() - begin)};
}

}  // namespace newsdesk::bench
