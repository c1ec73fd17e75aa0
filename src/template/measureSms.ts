/**
 * @module SMS length: how many characters a text takes and how many segments it is sent as.
 *
 * GSM-7 (GSM 03.38): 160 characters in one SMS, 153 per segment of a longer one; the characters
 * of the extension table (`^ { } \ [ ~ ] | €` and form feed) take two. Any character outside the
 * GSM-7 alphabet (Cyrillic, most emoji …) makes the whole message UCS-2: 70 in one SMS, 67 per
 * segment, counted in UTF-16 units (an emoji outside the BMP takes two).
 */
import type { TagError } from '../../grammar/index.js';
import { KeyRing } from '../links/index.js';
import type { CompiledTemplate } from './templateProgram.js';
import { render } from './render.js';

const gsmBasic = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const gsmExtension = new Set('^{}\\[~]|€\f');

/** The length of an SMS text and its segments. */
export interface SmsLength {
  /** Characters as the encoding counts them (GSM-7 septets, or UTF-16 units for UCS-2). */
  characters: number;
  encoding: 'GSM-7' | 'UCS-2';
  /** SMS segments the text is sent as (1 when it fits one message). */
  segments: number;
  /** Characters one message holds: 160/70 alone, 153/67 per segment of a longer one. */
  perSegment: number;
}

/** Measures a text as an SMS. */
export function measureSms(text: string): SmsLength {
  let septets = 0;
  let gsm = true;
  for (const char of text) {
    if (gsmBasic.has(char)) septets += 1;
    else if (gsmExtension.has(char)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  const [characters, single, multi] = gsm ? [septets, 160, 153] : [text.length, 70, 67];
  const segments = characters <= single ? 1 : Math.ceil(characters / multi);
  return {
    characters,
    encoding: gsm ? 'GSM-7' : 'UCS-2',
    segments,
    perSegment: segments === 1 ? single : multi,
  };
}

/** Options of `measureSmsTemplate`. */
export interface MeasureSmsTemplateOptions {
  /** Public base of the links (their length counts). */
  baseUrl: string;
  /** Sample merge fields (a recipient row); without them merge fields render empty. */
  data?: Record<string, unknown>;
}

/**
 * Renders an SMS template once with compact links (a throwaway key; an eight-digit contact id) and
 * measures it. `warning` (`sms_segments`) is set when the text takes more than one segment.
 */
export function measureSmsTemplate(
  template: CompiledTemplate,
  options: MeasureSmsTemplateOptions,
): SmsLength & { text: string; warning?: TagError } {
  const rendered = render(template, { contactId: 99_999_999 }, options.data, {
    keyRing: KeyRing.generate(),
    baseUrl: options.baseUrl,
    channel: 'sms',
    links: 'compact',
  });
  const length = measureSms(rendered.html);
  if (length.segments === 1) return { ...length, text: rendered.html };
  const single = length.encoding === 'GSM-7' ? 160 : 70;
  return {
    ...length,
    text: rendered.html,
    warning: {
      code: 'sms_segments',
      message: `renders to ${length.characters} ${length.encoding} characters: ${length.segments} SMS segments of ${length.perSegment} (one SMS holds ${single})`,
      line: 1,
      column: 1,
      hint:
        length.encoding === 'UCS-2'
          ? 'a character outside GSM-7 (e.g. Cyrillic or an emoji) makes every SMS hold 70; shorten the text'
          : 'shorten the text; each link counts as rendered',
    },
  };
}
