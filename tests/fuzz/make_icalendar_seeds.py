#!/usr/bin/env python3
# Writes the seed inputs of the icalendar fuzz target into the directory
# given as the only argument: serialized ListEventsResponse messages (the
# protobuf wire format written by hand, so no Python protobuf is needed) and
# one raw text line. Rerun only to change the seeds; the files are committed.
#
# The image_header seeds were made with the libvips command line:
#   vips gaussnoise n.v 24 16 && vips cast n.v n8.v uchar && vips colourspace n8.v rgb.v srgb
#   vips copy rgb.v jpeg.jpg[Q=80,strip]; vips copy rgb.v png.png[strip]; vips copy rgb.v webp.webp[Q=60,strip]
#   head -c 200 jpeg > truncated-jpeg
# and png-huge-dimensions is png with its IHDR set to 100000 x 100000 (CRC fixed).
import struct, sys, os
out = sys.argv[1]

def varint(v):
    if v < 0: v += 1 << 64
    b = bytearray()
    while v >= 0x80:
        b.append((v & 0x7f) | 0x80); v >>= 7
    b.append(v); return bytes(b)
def tag(f, t): return varint((f << 3) | t)
def s(f, text): b = text.encode() if isinstance(text, str) else text; return tag(f, 2) + varint(len(b)) + b
def m(f, body): return tag(f, 2) + varint(len(body)) + body
def i(f, v): return tag(f, 0) + varint(v)
def d(f, v): return tag(f, 1) + struct.pack('<d', v)
def ts(f, sec, nanos=0): return m(f, i(1, sec) + (i(2, nanos) if nanos else b''))
def date(f, y, mo=0, da=0): return m(f, i(1, y) + (i(2, mo) if mo else b'') + (i(3, da) if da else b''))

def event(name, title, schedule, **kw):
    b = s(1, name) + s(2, title) + m(6, schedule) + i(4, kw.get('kind', 1)) + i(5, kw.get('status', 1))
    for k, f in (('description', 3), ('language', 11), ('status_reason', 18)):
        if k in kw: b += s(f, kw[k])
    for t in kw.get('tags', []): b += s(12, t)
    for a in kw.get('articles', []): b += s(10, a)
    for (n, role, region, loc) in kw.get('organizers', []): b += m(8, s(1, n) + i(2, role) + s(3, region) + s(4, loc))
    if 'location' in kw:
        venue, loc, area, region, lat, lon, url = kw['location']
        body = s(1, venue) + s(2, loc) + s(3, area) + s(4, region)
        if lat is not None: body += d(5, lat) + d(6, lon)
        if url: body += s(7, url)
        b += m(9, body)
    b += i(13, kw.get('revision', 3)) + ts(15, 1525132800) + ts(16, 1525219200, 500)
    return m(1, b)

month = i(1, 2) + date(2, 2018, 5)
year_range = i(1, 1) + date(2, 2018) + date(3, 2019)
day = i(1, 3) + date(2, 2018, 5, 14) + s(6, 'Asia/Almaty')
exact = i(1, 4) + ts(4, 1526284800) + ts(5, 1526313600) + s(6, 'Europe/Warsaw')
exact_long = i(1, 4) + ts(4, 946684800) + ts(5, 1893456000) + s(6, 'America/New_York')

seeds = {
  'month': event('events/konferencja-szpitali', 'Wspólna konferencja szpitali', month,
                 description='Szpitale w Białej Podlaskiej i Ałmaty; spotkanie, wymiana.\nDruga linia.',
                 tags=['zdrowie', 'współpraca, zagraniczna'], articles=['articles/wizyta-w-obwodzie-almatynskim'],
                 organizers=[('Szpital Wojewódzki', 1, 'PL', 'Biała Podlaska'), ('Szpital Obwodowy', 2, 'KZ', 'Ałmaty')],
                 location=('Centrum konferencyjne', 'Ałmaty', 'obwód ałmatyński', 'KZ', 43.2389, 76.8897, 'https://example.org/konf'),
                 language='pl'),
  'exact': event('events/wizyta', 'Wizyta delegacji', exact, status=2, language='en-GB',
                 description='x' * 200 + 'ąęłńóśźż' * 20),
  'several': b''.join([
      event('events/a', 'Rok', year_range, kind=5, status=4, status_reason='Odwołane; brak środków'),
      event('events/b', 'Dzień', day, kind=4, status=5),
      event('events/c', 'Długi', exact_long, status=3, status_reason='Przełożone'),
  ]),
}
for name, body in seeds.items():
    with open(os.path.join(out, name), 'wb') as f: f.write(body)
with open(os.path.join(out, 'text'), 'wb') as f:
    f.write('Zażółć gęślą jaźń; przecinek, średnik\\ i odwrotny ukośnik — długa linia '.encode() * 3)
