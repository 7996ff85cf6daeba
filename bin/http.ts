// Just enough HTTP/1.1 for -g: the server finds complete requests (head ends at a blank line,
// \r\n\r\n or \n\n; bodies are not expected) and answers each with a small HTML page; the
// client sends one GET and reads one response (Content-Length framed, or until close).

/** Split complete request heads off the front of `buffer`. */
export function takeRequests(buffer: Buffer): { requests: string[]; rest: Buffer } {
  const requests: string[] = [];
  let rest = buffer;
  for (;;) {
    const crlf = rest.indexOf('\r\n\r\n');
    const lf = rest.indexOf('\n\n');
    let end = -1;
    let sep = 0;
    if (crlf >= 0 && (lf < 0 || crlf <= lf)) {
      end = crlf;
      sep = 4;
    } else if (lf >= 0) {
      end = lf;
      sep = 2;
    }
    if (end < 0) return { requests, rest };
    requests.push(rest.subarray(0, end).toString('latin1'));
    rest = rest.subarray(end + sep);
  }
}

/** Whether the request asked to close the connection after the response. */
export function wantsClose(requestHead: string): boolean {
  return /^connection:[ \t]*close[ \t]*$/im.test(requestHead);
}

const PAGE = `<html>
<head><title>secure-duplex</title></head>
<body>
<h1>secure-duplex TLS 1.2 server</h1>
<p>Greetings from the secure-duplex example server (-g).</p>
</body>
</html>
`;

/** The whole response, head and body, for one application-data write. */
export function pageResponse(cipher: string, close: boolean): Buffer {
  const body = Buffer.from(PAGE.replace('</p>', `</p>\n<p>Cipher: ${cipher}</p>`), 'utf8');
  const head = [
    'HTTP/1.1 200 OK',
    'Content-Type: text/html; charset=utf-8',
    `Content-Length: ${body.length}`,
    `Connection: ${close ? 'close' : 'keep-alive'}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export function getRequest(host: string): string {
  return `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
}

/** Whether `buffer` holds a complete response: its head and Content-Length bytes of body.
 *  Without Content-Length the response ends when the connection does. */
export function responseComplete(buffer: Buffer): boolean {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const m = /^content-length:[ \t]*(\d+)/im.exec(buffer.subarray(0, end).toString('latin1'));
  if (!m) return false;
  return buffer.length - (end + 4) >= Number(m[1]);
}
