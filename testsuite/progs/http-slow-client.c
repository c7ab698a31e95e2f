/*
 * A client that sends an HTTP request one byte a second to ADDR (HOST:PORT) and checks that
 * the server hangs up within LIMIT_S seconds: exit 0 if it did, 1 if not.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LIMIT_S 30

int main(int argc, char **argv)
{
	static const char req[] = "GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\nX-Slow: "
				  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64];

	if (argc != 2 || sscanf(argv[1], "%63[^:]:%hu", host, &sa.sin_port) != 2)
		return 2;
	sa.sin_port = htons(sa.sin_port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	signal(SIGPIPE, SIG_IGN);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("connect");
		return 2;
	}
	time_t start = time(NULL);
	for (size_t i = 0; i < sizeof(req) - 1 && time(NULL) - start <= LIMIT_S; i++) {
		if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1) {
			fprintf(stderr, "cut off after %ld s\n", (long)(time(NULL) - start));
			return 0;
		}
		sleep(1);
	}
	fprintf(stderr, "still connected after %ld s\n", (long)(time(NULL) - start));
	return 1;
}
