/** A test's view of an HTTP answer: the status and the body, parsed when it is JSON, else the text. */
export type HttpAnswer = { status: number; body: any };

export async function answerOf(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}
