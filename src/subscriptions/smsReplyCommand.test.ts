/** @module Tests of reading an SMS reply: command words in both alphabets, locale, phone spellings. */
import { describe, expect, it } from 'vitest';
import { phoneSpellings, smsCommandOf, smsStartWords, smsStopWords } from './smsReplyCommand.js';

describe('smsCommandOf', () => {
  it('knows every STOP and START word, whatever the case, spaces and a final . or !', () => {
    for (const word of smsStopWords) {
      for (const text of [word, word.toLowerCase(), `  ${word}  `, `${word}!`, `\n${word}.`]) {
        expect(smsCommandOf(text).command, text).toBe('stop');
      }
    }
    for (const word of smsStartWords) expect(smsCommandOf(` ${word.toLowerCase()} `).command).toBe('start');
    expect(smsCommandOf('Stop All').command).toBe('stop');
  });

  it('reads Latin and Cyrillic lookalike letters as the same letter', () => {
    expect(smsCommandOf('СТОП').command).toBe('stop'); // Cyrillic
    expect(smsCommandOf('CTOП').command).toBe('stop'); // Latin C, T, O
    expect(smsCommandOf('SТОР').command).toBe('stop'); // Cyrillic Т, О, Р
    expect(smsCommandOf('CTAPT').command).toBe('start'); // all Latin: СТАРТ
  });

  it('is not a command unless the word stands alone', () => {
    for (const text of ['STOP please', 'please stop', 'STOPP', 'STO P!?', '', 'стоп-кран']) {
      expect(smsCommandOf(text).command, text).toBe('none');
    }
  });

  it('answers in Russian when the reply has a Cyrillic letter', () => {
    expect(smsCommandOf('стоп').locale).toBe('ru');
    expect(smsCommandOf('STOP').locale).toBe('en');
  });
});

describe('phoneSpellings', () => {
  it('counts +, none and 00 as the same international number', () => {
    expect(phoneSpellings('+79123456789')).toEqual(['+79123456789', '79123456789', '0079123456789']);
    expect(phoneSpellings('0079123456789')).toEqual(['+79123456789', '79123456789', '0079123456789']);
  });
});
