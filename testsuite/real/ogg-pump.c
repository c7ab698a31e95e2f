/*
 * ogg-pump: frames N packets of known bytes into Ogg pages with libogg, hands every page to a
 * sync layer and a second stream as a reader would, and prints how many packets came back and
 * the sum of their bytes. 0992-real-autotools profiles it: libogg ships no program of its own
 * but its self-tests, which run for milliseconds. Exits 1 if a packet is lost.
 */
#include <ogg/ogg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	long npackets = argc > 1 ? atol(argv[1]) : 1000, in, out = 0, i;
	ogg_stream_state enc, dec;
	ogg_sync_state sync;
	ogg_page og;
	ogg_packet op, got;
	static unsigned char data[8192];
	unsigned long sum = 0, seed = 1;

	ogg_stream_init(&enc, 7);
	ogg_stream_init(&dec, 7);
	ogg_sync_init(&sync);
	for (i = 0; i < (long)sizeof(data); i++)
		data[i] = (unsigned char)(i * 31);
	for (in = 0; in < npackets; in++) {
		seed = seed * 1103515245 + 12345;
		memcpy(data, &in, sizeof(in)); /* each packet differs from the last */
		memset(&op, 0, sizeof(op));
		op.packet = data;
		op.bytes = 1 + (long)((seed >> 16) % sizeof(data));
		op.b_o_s = in == 0;
		op.e_o_s = in == npackets - 1;
		op.granulepos = in;
		op.packetno = in;
		if (ogg_stream_packetin(&enc, &op))
			return 2;
		while (op.e_o_s ? ogg_stream_flush(&enc, &og) : ogg_stream_pageout(&enc, &og)) {
			char *buf = ogg_sync_buffer(&sync, og.header_len + og.body_len);

			memcpy(buf, og.header, og.header_len);
			memcpy(buf + og.header_len, og.body, og.body_len);
			ogg_sync_wrote(&sync, og.header_len + og.body_len);
			while (ogg_sync_pageout(&sync, &og) == 1) {
				if (ogg_stream_pagein(&dec, &og))
					return 3;
				for (; ogg_stream_packetout(&dec, &got) == 1; out++)
					for (i = 0; i < got.bytes; i++)
						sum += got.packet[i];
			}
		}
	}
	printf("%ld packets in, %ld out, byte sum %lu\n", in, out, sum);
	ogg_stream_clear(&enc);
	ogg_stream_clear(&dec);
	ogg_sync_clear(&sync);
	return in == out ? 0 : 1;
}
