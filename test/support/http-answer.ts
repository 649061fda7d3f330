/** A test's view of an HTTP answer: the status and the body, parsed when it is JSON, else the text. */
export type HttpAnswer = { status: number; body: any };

export async function answerOf(response: Response): Promise<HttpAnswer> {
  return { status: response.status, body: parsedBody(await response.text()) };
}

/** A body parsed when it is JSON, else the text. */
export function parsedBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON
  }
}
